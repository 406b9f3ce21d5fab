/// What the server should do next for a model; the answer of `Controller.nextAction(now:)`.
///
/// The server calls `nextAction` after every submission and completion and at the instant a
/// `.wait` names, and keeps calling it until it answers `.wait` or `.idle`.
public enum SchedulingAction: Sendable, Equatable {
    /// Run this batch on `batch.worker`, which is now marked busy until `completed` or `failed`.
    case run(Batch)
    /// Answer these requests without compute; they have left the queue.
    case expire([ExpiredRequest])
    /// Nothing to start before this instant (batching delay or the next expiry), unless a request
    /// arrives or a batch completes first.
    case wait(until: Instant)
    /// Nothing to do until a request arrives or a batch completes.
    case idle
}
