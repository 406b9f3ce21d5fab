/// How a model's requests are scheduled.
public enum SchedulingMode: String, Sendable, Equatable {
    /// The SLO controller: admission, deadline order, a plan chosen per batch.
    case controller
    /// The controller off, for comparisons: every batch runs dense, first come first served, and
    /// nothing is refused but past the queue bound. Targets are still read, checked and reported
    /// against (`slo_met`), never acted on.
    case denseOnly = "dense_only"
}
