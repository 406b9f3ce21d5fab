/// The controller's answer to a submitted request.
public enum AdmissionDecision: Sendable, Equatable {
    /// Queued. `bestEffort` is `true` when no plan is predicted to meet the deadline and the
    /// model's policy is best-effort: the response must say the SLO was at risk.
    case admitted(deadline: Instant, bestEffort: Bool)
    /// Refused because of load: HTTP 429 or 503 with `Retry-After`.
    case rejected(Rejection)
    /// The targets are impossible on any machine: HTTP 400.
    case invalid(InvalidTarget)

    /// Why a request was refused under load.
    public enum Rejection: Sendable, Equatable {
        /// No plan meeting the accuracy target is predicted to finish by the deadline behind the
        /// current backlog (HTTP 429, reason `slo_infeasible`). `retryAfterNanos` is when the
        /// backlog ahead of it should have cleared (at least this long when the backlog reaches far
        /// past the deadline), or `nil` when even an idle server would miss.
        case sloInfeasible(retryAfterNanos: UInt64?)
        /// The queue is at `SLOPolicy.maxQueueDepth` (HTTP 503, reason `queue_full`);
        /// `retryAfterNanos` is when the next batch should complete.
        case queueFull(retryAfterNanos: UInt64)

        /// The reason string of the error response.
        public var reason: String {
            switch self {
            case .sloInfeasible: "slo_infeasible"
            case .queueFull: "queue_full"
            }
        }
    }
}
