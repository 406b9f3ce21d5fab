import ZenithControl
import ZenithCore
import ZenithJSON

/// The body of `POST /v2/slo/models/{m}`: the fields to change, every one optional.
///
/// Without `class` the model's default targets change; with it, that class's (created when new,
/// taking a target it is not given from the model default). `infeasible_policy` is per model and
/// ignores `class`. Only the fields given change.
struct SLOUpdate: Sendable, Equatable {
    static let fields = ["latency_target_ms", "accuracy_target", "class", "infeasible_policy"]

    var latencyTargetMs: Double?
    var accuracyTarget: Double?
    var sloClass: String?
    var infeasiblePolicy: InfeasiblePolicy?

    init(
        latencyTargetMs: Double? = nil, accuracyTarget: Double? = nil, sloClass: String? = nil,
        infeasiblePolicy: InfeasiblePolicy? = nil
    ) {
        self.latencyTargetMs = latencyTargetMs
        self.accuracyTarget = accuracyTarget
        self.sloClass = sloClass
        self.infeasiblePolicy = infeasiblePolicy
    }

    /// Decodes and checks a request body: JSON, an object of known fields of the right types,
    /// targets in range, a non-empty class name, a known policy, and something to change.
    init(body: [UInt8]) throws(JSONFieldError) {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: body)
        } catch {
            throw JSONFieldError("the body is not valid JSON (\(error.description))")
        }
        try self.init(json: json)
    }

    /// Checks a decoded body; see `init(body:)`.
    init(json: JSONValue) throws(JSONFieldError) {
        let object = try StrictJSONObject(json, path: "", allowed: Self.fields)
        // `null` is not "unset": the API has no way to clear a target, so it is a wrong type.
        self.init(
            latencyTargetMs: try SLOTargets.checkedLatency(
                object.number("latency_target_ms"), path: "latency_target_ms"),
            accuracyTarget: try SLOTargets.checkedAccuracy(object.number("accuracy_target"), path: "accuracy_target"),
            sloClass: try object.string("class"),
            infeasiblePolicy: try object.string("infeasible_policy").map { raw throws(JSONFieldError) in
                try InfeasiblePolicy(operatorName: raw, path: "infeasible_policy")
            })
        if let sloClass, sloClass.isEmpty { throw JSONFieldError("class must not be empty") }
        guard latencyTargetMs != nil || accuracyTarget != nil || infeasiblePolicy != nil else {
            throw JSONFieldError(
                "nothing to change: give latency_target_ms, accuracy_target or infeasible_policy")
        }
    }

    /// `policy` with this update made.
    ///
    /// - Parameter bestAccuracy: the model's most accurate plan's expected accuracy.
    /// - Throws: an accuracy target above `bestAccuracy`.
    func applied(to policy: SLOPolicy, bestAccuracy: Double) throws(JSONFieldError) -> SLOPolicy {
        if let accuracyTarget, accuracyTarget > bestAccuracy {
            throw JSONFieldError(
                "accuracy_target \(accuracyTarget) is above the model's best_accuracy \(bestAccuracy)")
        }
        var policy = policy
        if let infeasiblePolicy { policy.infeasiblePolicy = infeasiblePolicy }
        guard latencyTargetMs != nil || accuracyTarget != nil else { return policy }
        if let sloClass {
            var targets = policy.classTargets[sloClass] ?? policy.modelDefaults
            targets.change(latencyTargetMs: latencyTargetMs, accuracyTarget: accuracyTarget)
            policy.classTargets[sloClass] = targets
        } else {
            policy.modelDefaults.change(latencyTargetMs: latencyTargetMs, accuracyTarget: accuracyTarget)
        }
        return policy
    }
}

extension SLOTargets {
    /// Replaces the targets that are given.
    fileprivate mutating func change(latencyTargetMs: Double?, accuracyTarget: Double?) {
        if let latencyTargetMs { self.latencyTargetMs = latencyTargetMs }
        if let accuracyTarget { self.accuracyTarget = accuracyTarget }
    }
}
