import Foundation
import SwiftProtobuf
public import ZenithData
import ZenithGRPC
public import ZenithHTTP
import ZenithJSON

/// Request bodies encoded once before a run: one per (class, request), so the sender only picks.
///
/// The pool holds the first `size` test images (`PayloadImages`). With `imagesPerRequest` = k,
/// request j carries images `j*k ..< j*k + k` (wrapping over the pool) as one input of shape
/// `[k] + dims`; there are ⌈size / k⌉ requests, so round-robin over them sends every image
/// equally often. A request's expected answer is its images' labels, in order.
public struct PayloadPool: Sendable {
    /// `requests[classIndex][requestIndex]`: ready to send.
    public let requests: [[HTTPRequest]]
    /// `labels[requestIndex]`: the labels of the request's images, in input order.
    public let labels: [[Int]]
    /// Images in each request.
    public let imagesPerRequest: Int
    /// Distinct images the requests are made of.
    public let imageCount: Int

    /// The number of distinct requests per class.
    public var size: Int { labels.count }

    /// Encodes the pool.
    ///
    /// - Parameters:
    ///   - images: the test set.
    ///   - size: how many images (the first ones); capped at the set's size.
    ///   - model: the model name (the request path).
    ///   - inputShape: the per-sample input dims the model takes.
    ///   - classes: one body per class (its parameters differ).
    ///   - encoding: JSON, binary or gRPC.
    ///   - imagesPerRequest: images per request (the input's batch dimension), at least 1.
    ///   - tritonTimeout: also send each class's latency target as Triton's `timeout` (µs).
    public init(
        images: LabelledImages, size: Int, model: String, inputShape: [Int], classes: [SLOClass],
        encoding: PayloadEncoding, imagesPerRequest: Int = 1, tritonTimeout: Bool = false
    ) {
        let count = max(0, min(size, images.count))
        let k = max(1, imagesPerRequest)
        let requestCount = (count + k - 1) / k
        let dims = inputShape
        let path = "/v2/models/\(model)/infer"
        // Image indices of each request, consecutive and wrapping over the pool.
        let members = (0..<requestCount).map { request in (0..<k).map { (request * k + $0) % count } }
        var requests: [[HTTPRequest]] = []
        for slo in classes {
            var parameters = Self.parameters(for: slo, binaryOutput: encoding == .binary)
            if tritonTimeout { parameters["timeout"] = JSONValue(Int((slo.latencyTargetMs * 1000).rounded())) }
            var perClass: [HTTPRequest] = []
            perClass.reserveCapacity(requestCount)
            for indices in members {
                var pixels: [Float] = []
                pixels.reserveCapacity(k * images.pixelsPerImage)
                for image in indices { pixels.append(contentsOf: images.pixels(image..<(image + 1))) }
                perClass.append(
                    Self.request(
                        path: path, pixels: pixels, shape: [k] + dims, parameters: parameters, encoding: encoding))
            }
            requests.append(perClass)
        }
        self.requests = requests
        self.labels = members.map { indices in indices.map { images.labels[$0] } }
        self.imagesPerRequest = k
        self.imageCount = count
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

    /// The `:path` of a gRPC ModelInfer call.
    static let grpcPath = "/" + GRPCMethod.service + "/" + GRPCMethod.modelInfer.rawValue

    private static func request(
        path: String, pixels: [Float], shape: [Int], parameters: JSONObject, encoding: PayloadEncoding
    ) -> HTTPRequest {
        var input: JSONObject = ["name": "input", "datatype": "FP32", "shape": JSONValue(shape)]
        var root = JSONObject()
        switch encoding {
        case .grpc:
            return grpcRequest(path: path, pixels: pixels, shape: shape, parameters: parameters)
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

    /// A framed `ModelInfer` call: the model named in the REST path (`/v2/models/{m}/infer`), the
    /// SLO parameters as typed parameters, the pixels little-endian in `raw_input_contents`.
    private static func grpcRequest(path: String, pixels: [Float], shape: [Int], parameters: JSONObject) -> HTTPRequest {
        var message = Inference_ModelInferRequest()
        message.modelName = String(path.split(separator: "/").dropFirst(2).first ?? "")
        for (key, value) in parameters.entries {
            if let parameter = Inference_InferParameter(value) { message.parameters[key] = parameter }
        }
        var input = Inference_ModelInferRequest.InferInputTensor()
        input.name = "input"
        input.datatype = "FP32"
        input.shape = shape.map(Int64.init)
        message.inputs = [input]
        var raw = Data(capacity: pixels.count * 4)
        for value in pixels {
            let bits = value.bitPattern
            raw.append(contentsOf: [
                UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8),
                UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24),
            ])
        }
        message.rawInputContents = [raw]
        let bytes: [UInt8] = (try? message.serializedBytes()) ?? []
        return HTTPRequest(
            method: "POST", path: grpcPath, headers: ["content-type": "application/grpc", "te": "trailers"],
            body: GRPCFraming.framed(bytes))
    }
}
