import SwiftProtobuf
import ZenithGRPC
public import ZenithHTTP
import ZenithJSON

/// What one inference response says: the plan that served it, the class it predicted for each
/// image, or why it was refused.
public struct InferenceOutcome: Sendable, Equatable {
    /// The HTTP status, or 0 when no response came (transport error).
    public var status: Int
    /// `parameters.plan` of a 200 (for several images: the least accurate plan's).
    public var plan: String?
    /// `parameters.exited` of a 200 (for several images: whether every one exited early).
    public var exited: Bool
    /// `parameters.expected_accuracy` of a 200 (for several images: the least accurate plan's).
    public var expectedAccuracy: Double?
    /// The argmax of each row of the `logits` output of a 200, one per image in input order;
    /// empty when there was no usable answer.
    public var predictedClasses: [Int]
    /// The server's own account of a 200, µs: `parameters.queue_us` (the longest wait of its
    /// images), `compute_us` (the batches that served it) and `total_us` (arrival to response).
    /// The rest of the latency is the transport and the client.
    public var serverQueueMicros: Double?
    public var serverComputeMicros: Double?
    public var serverTotalMicros: Double?
    /// The `reason` of an error body (`slo_infeasible`, `queue_full`, ...), else a short cause
    /// (`http_<status>`, a transport error, `bad_response`).
    public var rejectReason: String?

    /// Creates an outcome.
    public init(
        status: Int, plan: String? = nil, exited: Bool = false, expectedAccuracy: Double? = nil,
        predictedClasses: [Int] = [], rejectReason: String? = nil
    ) {
        self.status = status
        self.plan = plan
        self.exited = exited
        self.expectedAccuracy = expectedAccuracy
        self.predictedClasses = predictedClasses
        self.rejectReason = rejectReason
    }

    /// Decodes a response: JSON, binary tensor extension (`inference-header-content-length`), or
    /// gRPC (a `grpc-status`, whose code counts as the HTTP status REST would have answered).
    ///
    /// A 200 whose logits do not hold exactly `imagesPerRequest` rows (by `shape[0]` when given,
    /// and by the number of values) is a `bad_response`: its predictions cannot be matched to
    /// the images.
    ///
    /// - Parameters:
    ///   - response: the answer.
    ///   - imagesPerRequest: images the request carried, so rows the logits must have.
    public init(response: HTTPResponse, imagesPerRequest: Int = 1) {
        if let status = GRPCStatus(response: response) {
            self.init(grpc: response, status: status, imagesPerRequest: imagesPerRequest)
            return
        }
        self.init(status: response.status)
        let headerLength = response.headers["inference-header-content-length"].flatMap { Int($0) }
        let jsonEnd = min(headerLength ?? response.body.count, response.body.count)
        guard let json = try? JSONValue(parsing: response.body[0..<jsonEnd]) else {
            rejectReason = response.status == 200 ? "bad_response" : "http_\(response.status)"
            return
        }
        guard response.status == 200 else {
            rejectReason = json["reason"]?.stringValue ?? "http_\(response.status)"
            return
        }
        let parameters = json["parameters"]
        plan = parameters?["plan"]?.stringValue
        exited = parameters?["exited"]?.boolValue ?? false
        expectedAccuracy = parameters?["expected_accuracy"]?.doubleValue
        serverQueueMicros = parameters?["queue_us"]?.doubleValue
        serverComputeMicros = parameters?["compute_us"]?.doubleValue
        serverTotalMicros = parameters?["total_us"]?.doubleValue
        guard let outputs = json["outputs"]?.arrayValue,
            let logits = outputs.first(where: { $0["name"]?.stringValue == "logits" }) ?? outputs.first
        else {
            rejectReason = "bad_response"
            return
        }
        var values: [Double]?
        if let data = logits["data"]?.arrayValue {
            values = data.map { $0.doubleValue ?? -.infinity }
        } else if let headerLength, let size = logits["parameters"]?["binary_data_size"]?.intValue {
            // The logits are the first binary output (the harness asks for one output).
            let floats = Self.littleEndianFloats(response.body, from: headerLength, count: size / 4)
            // A body shorter than it says is cut off: its last row would be judged on part of the logits.
            if floats.count * 4 == size { values = floats }
        }
        let shapeRows = logits["shape"]?.arrayValue?.first?.intValue
        guard let values, let rows = Self.rows(of: values, count: imagesPerRequest, shapeRows: shapeRows) else {
            rejectReason = "bad_response"
            return
        }
        predictedClasses = rows.compactMap(Self.argmax)
    }

    /// A gRPC `ModelInfer` answer: its parameters and `raw_output_contents`, or its status's reason.
    private init(grpc response: HTTPResponse, status: GRPCStatus, imagesPerRequest: Int) {
        self.init(status: GRPCStatus.httpStatus(status.code))
        guard status.code == .ok else {
            rejectReason = status.reason ?? "grpc_\(status.code)"
            return
        }
        guard let message = try? GRPCFraming.unaryMessage(in: response.body),
            let answer = try? Inference_ModelInferResponse(serializedBytes: Array(message))
        else {
            rejectReason = "bad_response"
            return
        }
        let parameters = answer.parameters
        plan = parameters["plan"]?.jsonValue?.stringValue
        exited = parameters["exited"]?.jsonValue?.boolValue ?? false
        expectedAccuracy = parameters["expected_accuracy"]?.jsonValue?.doubleValue
        serverQueueMicros = parameters["queue_us"]?.jsonValue?.doubleValue
        serverComputeMicros = parameters["compute_us"]?.jsonValue?.doubleValue
        serverTotalMicros = parameters["total_us"]?.jsonValue?.doubleValue
        guard let index = answer.outputs.firstIndex(where: { $0.name == "logits" }) ?? answer.outputs.indices.first,
            index < answer.rawOutputContents.count
        else {
            rejectReason = "bad_response"
            return
        }
        let raw = Array(answer.rawOutputContents[index])
        let values = Self.littleEndianFloats(raw, from: 0, count: raw.count / 4)
        let shapeRows = answer.outputs[index].shape.first.map { Int($0) }
        guard raw.count % 4 == 0, let rows = Self.rows(of: values, count: imagesPerRequest, shapeRows: shapeRows) else {
            rejectReason = "bad_response"
            return
        }
        predictedClasses = rows.compactMap(Self.argmax)
    }

    /// Whether `response` answered the request: a 200 and, over gRPC, status OK. Cheaper than
    /// decoding the outcome, for the capacity probe.
    public static func succeeded(_ response: HTTPResponse) -> Bool {
        guard response.status == 200 else { return false }
        return GRPCStatus(response: response).map { $0.code == .ok } ?? true
    }

    /// The outcome of a request that got no response.
    public init(transportError: String) {
        self.init(status: 0, rejectReason: transportError)
    }

    /// `values` cut into `count` equal non-empty rows, or `nil` when they are not `count` rows
    /// (or the shape says another number of rows).
    static func rows(of values: [Double], count: Int, shapeRows: Int?) -> [ArraySlice<Double>]? {
        guard count >= 1, !values.isEmpty, values.count % count == 0 else { return nil }
        if let shapeRows, shapeRows != count { return nil }
        let width = values.count / count
        return (0..<count).map { values[($0 * width)..<(($0 + 1) * width)] }
    }

    /// Up to `count` little-endian FP32 values from `bytes[start...]` (fewer when the body is short).
    static func littleEndianFloats(_ bytes: [UInt8], from start: Int, count: Int) -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(max(0, count))
        var index = start
        while values.count < count && index >= 0 && index + 4 <= bytes.count {
            let bits =
                UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16
                | UInt32(bytes[index + 3]) << 24
            values.append(Double(Float(bitPattern: bits)))
            index += 4
        }
        return values
    }

    /// The index of the largest value within the row (the first on ties), `nil` for none.
    static func argmax(_ values: ArraySlice<Double>) -> Int? {
        guard let first = values.indices.first else { return nil }
        var best = first
        for index in values.indices where values[index] > values[best] { best = index }
        return best - first
    }
}
