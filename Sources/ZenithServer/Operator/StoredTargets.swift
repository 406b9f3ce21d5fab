import ZenithControl
import ZenithCore

/// What the operator set for one model, as the state file keeps it: the parts of its
/// `SLOPolicy` the operator API changes. A part that is `nil` (only in a hand-written file) is
/// left as the model's `config.json` has it.
struct StoredTargets: Sendable, Equatable {
    var defaults: SLOTargets?
    var classes: [String: SLOTargets]?
    var infeasiblePolicy: InfeasiblePolicy?

    init(defaults: SLOTargets? = nil, classes: [String: SLOTargets]? = nil, infeasiblePolicy: InfeasiblePolicy? = nil) {
        self.defaults = defaults
        self.classes = classes
        self.infeasiblePolicy = infeasiblePolicy
    }

    /// Everything the operator API sets of `policy`.
    init(policy: SLOPolicy) {
        self.init(
            defaults: policy.modelDefaults, classes: policy.classTargets, infeasiblePolicy: policy.infeasiblePolicy)
    }

    /// `policy` with these targets in place of its own (queue bound and priorities are kept).
    func applied(to policy: SLOPolicy) -> SLOPolicy {
        var policy = policy
        if let defaults { policy.modelDefaults = defaults }
        if let classes { policy.classTargets = classes }
        if let infeasiblePolicy { policy.infeasiblePolicy = infeasiblePolicy }
        return policy
    }
}
