import ZenithCore
import ZenithJSON

extension SLOTargets {
    /// The field names of a targets object.
    static let operatorFields = ["latency_target_ms", "accuracy_target"]

    /// `{"latency_target_ms": 10.0, "accuracy_target": 0.916}`; a target that is not set is `null`.
    var operatorJSON: JSONValue {
        [
            "latency_target_ms": latencyTargetMs.map(JSONValue.double) ?? .null,
            "accuracy_target": accuracyTarget.map(JSONValue.double) ?? .null,
        ]
    }

    /// Reads a targets object (`null` for a target that is not set), checking the ranges a target
    /// may have whatever the model: a positive finite latency, an accuracy in (0, 1].
    init(operatorJSON value: JSONValue, path: String) throws(JSONFieldError) {
        let object = try StrictJSONObject(value, path: path, allowed: Self.operatorFields)
        self.init(
            latencyTargetMs: try Self.checkedLatency(
                object.number("latency_target_ms", nullable: true), path: object.path(of: "latency_target_ms")),
            accuracyTarget: try Self.checkedAccuracy(
                object.number("accuracy_target", nullable: true), path: object.path(of: "accuracy_target")))
    }

    /// The range of latency targets an operator may set: from a microsecond to a day. A default
    /// applies to every request that names none, so one outside it (1e-320 ms: every request
    /// infeasible; 1e308 ms: no deadline at all) is a typo, not a policy.
    static let latencyRangeMs: ClosedRange<Double> = 0.001...86_400_000

    /// `value` if it is a usable latency target in milliseconds.
    static func checkedLatency(_ value: Double?, path: String) throws(JSONFieldError) -> Double? {
        guard let value else { return nil }
        guard value.isFinite, value > 0 else {
            throw JSONFieldError("\(path) must be a positive, finite number of milliseconds, not \(value)")
        }
        guard latencyRangeMs.contains(value) else {
            throw JSONFieldError(
                "\(path) must be between 0.001 ms (a microsecond) and 86400000 ms (a day), not \(value)")
        }
        return value
    }

    /// `value` if it is an accuracy target in (0, 1].
    static func checkedAccuracy(_ value: Double?, path: String) throws(JSONFieldError) -> Double? {
        guard let value else { return nil }
        guard value.isFinite, value > 0, value <= 1 else {
            throw JSONFieldError("\(path) must be a number in (0, 1], not \(value)")
        }
        return value
    }
}
