public import ZenithData
public import ZenithHTTP
import ZenithJSON

/// Request bodies encoded once before a run: one per (class, image), so the sender only picks.
///
/// Images are the first `size` Fashion-MNIST test images; each request's expected answer is its
/// image's label.
public struct PayloadPool: Sendable {
    /// `requests[classIndex][imageIndex]`: ready to send.
    public let requests: [[HTTPRequest]]
    /// The label of image `i`.
    public let labels: [Int]

    /// The number of distinct images.
    public var size: Int { labels.count }

    /// Encodes the pool.
    ///
    /// - Parameters:
    ///   - images: the test set.
    ///   - size: how many images (the first ones); capped at the set's size.
    ///   - model: the model name (path and input shape: `fashion-cnn` takes `[1, 28, 28]`, others `[784]`).
    ///   - inputShape: the per-sample input dims; `nil` guesses from the model name.
    ///   - classes: one body per class (its parameters differ).
    ///   - encoding: JSON or binary.
    public init(
        images: LabelledImages, size: Int, model: String, inputShape: [Int]? = nil, classes: [SLOClass],
        encoding: PayloadEncoding
    ) {
        let count = min(size, images.count)
        let dims = inputShape ?? (model.contains("cnn") ? [1, images.rows, images.columns] : [images.pixelsPerImage])
        let path = "/v2/models/\(model)/infer"
        var requests: [[HTTPRequest]] = []
        for slo in classes {
            let parameters = Self.parameters(for: slo, binaryOutput: encoding == .binary)
            var perClass: [HTTPRequest] = []
            perClass.reserveCapacity(count)
            for image in 0..<count {
                let pixels = Array(images.pixels(image..<(image + 1)))
                perClass.append(Self.request(path: path, pixels: pixels, dims: dims, parameters: parameters, encoding: encoding))
            }
            requests.append(perClass)
        }
        self.requests = requests
        self.labels = Array(images.labels[0..<count])
    }

    /// The request `parameters` for a class: targets as the class delivers them.
    static func parameters(for slo: SLOClass, binaryOutput: Bool) -> JSONObject {
        var parameters = JSONObject()
        switch slo.delivery {
        case .parameters:
            parameters["latency_target_ms"] = .double(slo.latencyTargetMs)
            parameters["accuracy_target"] = .double(slo.accuracyTarget)
            if slo.sendClassName { parameters["slo_class"] = .string(slo.name) }
        case .serverClass:
            parameters["slo_class"] = .string(slo.name)
        case .modelDefault:
            break
        }
        if binaryOutput { parameters["binary_data_output"] = .bool(true) }
        return parameters
    }

    private static func request(
        path: String, pixels: [Float], dims: [Int], parameters: JSONObject, encoding: PayloadEncoding
    ) -> HTTPRequest {
        var input: JSONObject = ["name": "input", "datatype": "FP32", "shape": JSONValue([1] + dims)]
        var root = JSONObject()
        switch encoding {
        case .json:
            input["data"] = .array(pixels.map { .double(Double($0)) })
            root["inputs"] = .array([.object(input)])
            if parameters.count > 0 { root["parameters"] = .object(parameters) }
            return HTTPRequest(
                method: "POST", path: path, headers: ["content-type": "application/json"],
                body: Array(JSONValue.object(root).serialized().utf8))
        case .binary:
            input["parameters"] = ["binary_data_size": JSONValue(pixels.count * 4)]
            root["inputs"] = .array([.object(input)])
            if parameters.count > 0 { root["parameters"] = .object(parameters) }
            var body = Array(JSONValue.object(root).serialized().utf8)
            let headerLength = body.count
            body.reserveCapacity(headerLength + pixels.count * 4)
            for value in pixels {
                let bits = value.bitPattern
                body.append(UInt8(truncatingIfNeeded: bits))
                body.append(UInt8(truncatingIfNeeded: bits >> 8))
                body.append(UInt8(truncatingIfNeeded: bits >> 16))
                body.append(UInt8(truncatingIfNeeded: bits >> 24))
            }
            return HTTPRequest(
                method: "POST", path: path,
                headers: [
                    "content-type": "application/octet-stream",
                    "inference-header-content-length": String(headerLength),
                ],
                body: body)
        }
    }
}
