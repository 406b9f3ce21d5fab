import ZenithControl
import ZenithCore
import ZenithJSON

/// A model's targets as the operator API shows them (`<ModelSLO>` of the spec).
struct ModelSLO: Sendable {
    var model: String
    var mode: SchedulingMode
    var bestAccuracy: Double
    var policy: SLOPolicy
    /// SLO attainment over the recent window; `nil` without judged requests.
    var attainment: Double?

    /// The view of `loaded` now; `policy` instead of the scheduler's when the caller just set it.
    init(_ loaded: LoadedModel, policy: SLOPolicy? = nil) {
        model = loaded.name
        mode = loaded.scheduler.mode
        bestAccuracy = loaded.scheduler.bestAccuracy
        self.policy = policy ?? loaded.scheduler.policy
        attainment = loaded.recent.summary().attainment
    }

    var json: JSONValue {
        [
            "model": .string(model),
            "mode": .string(mode.rawValue),
            "best_accuracy": .double(bestAccuracy),
            "default": policy.modelDefaults.operatorJSON,
            "classes": .object(
                JSONObject(policy.classTargets.sorted { $0.key < $1.key }.map { ($0.key, $0.value.operatorJSON) })),
            "infeasible_policy": .string(policy.infeasiblePolicy.rawValue),
            "attainment": attainment.map(JSONValue.double) ?? .null,
        ]
    }
}
