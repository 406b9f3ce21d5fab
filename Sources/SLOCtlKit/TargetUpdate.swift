public import ZenithCore
public import ZenithJSON

/// The body of `POST /v2/slo/models/{m}`: the targets and policy to change, checked the way the
/// server checks them so a bad value is refused before anything is sent.
public struct TargetUpdate: Sendable, Equatable {
    /// Why the values cannot be sent; the message names the option.
    public struct InvalidValue: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public var latencyMs: Double?
    public var accuracy: Double?
    public var sloClass: String?
    public var policy: InfeasiblePolicy?

    /// Checks and keeps the values.
    ///
    /// - Parameters:
    ///   - latencyMs: The latency target in milliseconds: positive and finite.
    ///   - accuracy: The accuracy target, in (0, 1].
    ///   - sloClass: The SLO class to change instead of the model default; not empty.
    ///   - policy: The model's infeasible policy (per model: it ignores `sloClass`).
    /// - Throws: ``InvalidValue`` for a value out of range, or when nothing would change.
    public init(
        latencyMs: Double? = nil, accuracy: Double? = nil, sloClass: String? = nil, policy: InfeasiblePolicy? = nil
    ) throws(InvalidValue) {
        if let latencyMs, !(latencyMs.isFinite && latencyMs > 0) {
            throw InvalidValue(description: "--latency-ms must be a positive number of milliseconds (got \(latencyMs))")
        }
        if let accuracy, !(accuracy.isFinite && accuracy > 0 && accuracy <= 1) {
            throw InvalidValue(description: "--accuracy must be in (0, 1] (got \(accuracy))")
        }
        if let sloClass, sloClass.allSatisfy(\.isWhitespace) {
            throw InvalidValue(description: "--class must not be empty")
        }
        if latencyMs == nil && accuracy == nil && policy == nil {
            throw InvalidValue(description: "give at least one of --latency-ms, --accuracy and --policy")
        }
        self.init(unchecked: latencyMs, accuracy: accuracy, sloClass: sloClass, policy: policy)
    }

    /// Keeps the values without checking them: for callers that already validated them.
    init(unchecked latencyMs: Double?, accuracy: Double?, sloClass: String?, policy: InfeasiblePolicy?) {
        self.latencyMs = latencyMs
        self.accuracy = accuracy
        self.sloClass = sloClass
        self.policy = policy
    }

    /// The `<Update>` object of the operator API, with only the fields given.
    public var json: JSONValue {
        var object = JSONObject()
        if let latencyMs { object["latency_target_ms"] = .double(latencyMs) }
        if let accuracy { object["accuracy_target"] = .double(accuracy) }
        if let sloClass { object["class"] = .string(sloClass) }
        if let policy { object["infeasible_policy"] = .string(policy.rawValue) }
        return .object(object)
    }
}
