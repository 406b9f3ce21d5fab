/// How a model's requests are scheduled.
public enum SchedulingMode: String, Sendable, Equatable {
    /// The SLO controller: admission, deadline order, a plan chosen per batch.
    case controller
    /// The controller off, for comparisons: every batch runs dense, first come first served, and
    /// nothing is refused but past the queue bound or a request's own Triton `timeout`. Targets
    /// are still read, checked and reported against (`slo_met`), never acted on.
    case denseOnly = "dense_only"
    /// As `denseOnly`, with one named non-dense plan in place of dense
    /// (`ModelRepositoryOptions.staticPlans`): the baseline of a statically pruned model.
    case staticPlan = "static_plan"

    /// Whether the controller's choices are off: one plan, first come first served.
    public var isFixedPlan: Bool { self != .controller }
}
