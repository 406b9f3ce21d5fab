public import ZenithCore

/// The operator's policy for one model, replaceable at run time (`Controller.setPolicy(_:)`).
///
/// A replaced policy applies from the next submitted request on; requests already queued keep the
/// targets and infeasible policy they were admitted with.
public struct SLOPolicy: Sendable, Equatable {
    /// Targets for requests that name no class, and for fields a class leaves open.
    public var modelDefaults: SLOTargets
    /// Named SLO classes (`"gold"`, `"batch"`, …) a request selects with `slo_class`.
    public var classTargets: [String: SLOTargets]
    /// What happens to a request no plan can serve in time.
    public var infeasiblePolicy: InfeasiblePolicy
    /// Most requests queued at once; more are refused with `queue_full`.
    public var maxQueueDepth: Int
    /// Triton priority levels: 1 is the highest, `priorityLevels` the lowest.
    public var priorityLevels: UInt32
    /// The level of requests whose `priority` is 0 (unset) or beyond `priorityLevels`, as in Triton.
    public var defaultPriorityLevel: UInt32

    /// - Parameters:
    ///   - modelDefaults: the model's default targets.
    ///   - classTargets: per SLO class targets.
    ///   - infeasiblePolicy: reject at once, or serve best-effort and say so.
    ///   - maxQueueDepth: queue bound, at least 1.
    ///   - priorityLevels: number of Triton priority levels, at least 1.
    ///   - defaultPriorityLevel: level of requests without a usable priority, clamped into the levels.
    public init(
        modelDefaults: SLOTargets = SLOTargets(), classTargets: [String: SLOTargets] = [:],
        infeasiblePolicy: InfeasiblePolicy = .reject, maxQueueDepth: Int = 1024,
        priorityLevels: UInt32 = 3, defaultPriorityLevel: UInt32 = 2
    ) {
        self.modelDefaults = modelDefaults
        self.classTargets = classTargets
        self.infeasiblePolicy = infeasiblePolicy
        self.maxQueueDepth = max(maxQueueDepth, 1)
        self.priorityLevels = max(priorityLevels, 1)
        self.defaultPriorityLevel = min(max(defaultPriorityLevel, 1), self.priorityLevels)
    }

    /// The policy a model's `config.json` declares: its default targets, SLO classes and
    /// infeasible policy.
    ///
    /// - Parameter classTargets: classes to use instead of the config's `slo.classes`.
    public init(config: ModelConfig, classTargets: [String: SLOTargets]? = nil, maxQueueDepth: Int = 1024) {
        self.init(
            modelDefaults: config.sloDefaults, classTargets: classTargets ?? config.sloClasses,
            infeasiblePolicy: config.infeasiblePolicy, maxQueueDepth: maxQueueDepth)
    }
}
