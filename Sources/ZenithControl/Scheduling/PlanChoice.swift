/// How a batch's plan was chosen (see `PlanSelector`).
public enum PlanChoice: String, Sendable, Equatable {
    /// The most accurate plan that fits the batch and leaves time for the queue behind it.
    case fitsBacklog = "fits_backlog"
    /// No plan could also keep the queue behind on time: the most accurate plan that fits the batch.
    case fitsBatch = "fits_batch"
    /// No plan fits the head's deadline; best-effort policy: the fastest plan meeting the accuracy target.
    case bestEffort = "best_effort"
}
