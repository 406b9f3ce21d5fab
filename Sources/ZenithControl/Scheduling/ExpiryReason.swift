/// Why a queued request is answered without running it.
public enum ExpiryReason: String, Sendable, Equatable {
    /// Its deadline passed while queued (reject policy).
    case deadlinePassed = "deadline_passed"
    /// Its deadline has not passed, but no plan can finish by then even if started now (reject policy).
    case deadlineUnreachable = "deadline_unreachable"
    /// Triton's `timeout` elapsed while queued (any policy).
    case timedOut = "timeout"
}
