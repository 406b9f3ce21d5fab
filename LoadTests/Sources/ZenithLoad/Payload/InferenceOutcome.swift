public import ZenithHTTP
import ZenithJSON

/// What one inference response says: the plan that served it, the class it predicted, or why
/// it was refused.
public struct InferenceOutcome: Sendable, Equatable {
    /// The HTTP status, or 0 when no response came (transport error).
    public var status: Int
    /// `parameters.plan` of a 200.
    public var plan: String?
    /// `parameters.exited` of a 200.
    public var exited: Bool
    /// `parameters.expected_accuracy` of a 200.
    public var expectedAccuracy: Double?
    /// The argmax of the `logits` output of a 200.
    public var predictedClass: Int?
    /// The `reason` of an error body (`slo_infeasible`, `queue_full`, ...), else a short cause
    /// (`http_<status>`, a transport error, `bad_response`).
    public var rejectReason: String?

    /// Creates an outcome.
    public init(
        status: Int, plan: String? = nil, exited: Bool = false, expectedAccuracy: Double? = nil,
        predictedClass: Int? = nil, rejectReason: String? = nil
    ) {
        self.status = status
        self.plan = plan
        self.exited = exited
        self.expectedAccuracy = expectedAccuracy
        self.predictedClass = predictedClass
        self.rejectReason = rejectReason
    }

    /// Decodes a response, JSON or binary tensor extension (`inference-header-content-length`).
    public init(response: HTTPResponse) {
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
        guard let outputs = json["outputs"]?.arrayValue,
            let logits = outputs.first(where: { $0["name"]?.stringValue == "logits" }) ?? outputs.first
        else {
            rejectReason = "bad_response"
            return
        }
        if let data = logits["data"]?.arrayValue {
            predictedClass = Self.argmax(data.map { $0.doubleValue ?? -.infinity })
        } else if let headerLength, let size = logits["parameters"]?["binary_data_size"]?.intValue {
            // The logits are the first binary output (the harness asks for one output).
            let start = headerLength
            let end = min(start + size, response.body.count)
            var values: [Double] = []
            var index = start
            while index + 4 <= end {
                let bits =
                    UInt32(response.body[index]) | UInt32(response.body[index + 1]) << 8
                    | UInt32(response.body[index + 2]) << 16 | UInt32(response.body[index + 3]) << 24
                values.append(Double(Float(bitPattern: bits)))
                index += 4
            }
            predictedClass = Self.argmax(values)
        }
        if predictedClass == nil { rejectReason = "bad_response" }
    }

    /// The outcome of a request that got no response.
    public init(transportError: String) {
        self.init(status: 0, rejectReason: transportError)
    }

    /// The index of the largest value (the first on ties), `nil` for none.
    static func argmax(_ values: [Double]) -> Int? {
        guard !values.isEmpty else { return nil }
        var best = 0
        for index in values.indices where values[index] > values[best] { best = index }
        return best
    }
}
