public import ZenithControl

/// Why the scheduler answered a request without outputs.
public enum InferenceFailure: Error, Sendable, Equatable {
    /// The targets are impossible whatever the load (400).
    case invalidTarget(InvalidTarget)
    /// Refused at admission under load: `slo_infeasible` (429) or `queue_full` (503).
    case rejected(AdmissionDecision.Rejection)
    /// Left the queue unserved: its deadline passed or became unreachable (429), or its Triton
    /// `timeout` elapsed (504).
    case expired(ExpiryReason)
    /// The model is being unloaded or the server is stopping (503).
    case unavailable
    /// The executor refused the batch: a bug (500).
    case executorFailed(String)
    /// The client left before the answer (its stream was reset or its connection closed);
    /// nobody reads the response (499, nginx's "client closed request").
    case cancelled

    /// The label of `zenith_rejects_total` and the statistics for this failure.
    public var reason: String {
        switch self {
        case .invalidTarget: "invalid_target"
        case .rejected(let rejection): rejection.reason
        case .expired(let reason): reason.rawValue
        case .unavailable: "unavailable"
        case .executorFailed: "executor_failed"
        case .cancelled: "cancelled"
        }
    }

    /// The HTTP answer.
    public var requestError: RequestError {
        switch self {
        case .invalidTarget(let invalid):
            return RequestError(status: 400, message: invalid.description, reason: "invalid_target")
        case .rejected(.sloInfeasible(let retry)):
            let why =
                retry == nil
                ? "no plan meeting the accuracy target can finish within the latency target even on an idle server"
                : "no plan meeting the accuracy target is predicted to finish within the latency target behind the current queue"
            return RequestError(
                status: 429, message: why, reason: "slo_infeasible",
                retryAfterSeconds: retry.map(RequestError.retryAfterSeconds(nanoseconds:)))
        case .rejected(.queueFull(let retry)):
            return RequestError(
                status: 503, message: "the model's queue is full", reason: "queue_full",
                retryAfterSeconds: RequestError.retryAfterSeconds(nanoseconds: retry))
        case .expired(.timedOut):
            return RequestError(
                status: 504, message: "the request's timeout elapsed while it was queued", reason: "timeout")
        case .expired(let reason):
            let why =
                reason == .deadlinePassed
                ? "the latency target passed while the request was queued"
                : "no plan can finish by the latency target any more"
            return RequestError(status: 429, message: why, reason: "slo_infeasible", retryAfterSeconds: 1)
        case .unavailable:
            return RequestError(
                status: 503, message: "the model is being unloaded", reason: "unavailable", retryAfterSeconds: 1)
        case .executorFailed(let message):
            return RequestError(status: 500, message: "the executor failed: \(message)")
        case .cancelled:
            return RequestError(status: 499, message: "the client left before the answer", reason: "cancelled")
        }
    }
}
