/// Where admission's walk over the queue (`AdmissionForecast`) stood once it had passed every
/// queued request, kept for the next admission.
///
/// Most arrivals join the queue at its tail (same target, later deadline), so each forecast walks
/// every queued request: O(n) per arrival, and the longer the queue grows under overload, the
/// more each arrival costs the core that is already behind. The walk's state after the tail is
/// resumed instead while nothing it depended on has changed: the queue (but for the samples
/// admission appended at its tail, which it walked on), the plan costs, the workers' free times,
/// no queued request expired, and the backlog still ends before the new request's deadline (so a
/// full walk would not have stopped early either). The forecast is then the one a full walk
/// gives; anything else walks again. A batch dispatched or finished changes the queue or the
/// workers, so under load a full walk happens about once a batch rather than once an arrival.
struct BacklogWalk: Sendable {
    /// The walk's state: the batches scheduled so far and the samples of the batch being filled.
    struct Progress: Sendable {
        var forecast: BacklogForecast
        var chunk = Chunk()
    }

    /// Samples of the next batch, and the highest accuracy target among them.
    struct Chunk: Sendable, Equatable {
        var count = 0
        var accuracy = 0.0
    }

    var progress: Progress
    /// What the walk was taken against.
    var queueRevision: UInt64
    var costsRevision: UInt64
    var workersFreeAt: [Instant]
    /// The serving order of the queue's last request (every other is before it); `nil` if it was empty.
    var lastOrder: QueueOrder?

    /// The progress to resume for a request that would be queued at `order` with planning
    /// `deadline`, or `nil` when only a full walk gives the right forecast.
    func resumable(
        order: QueueOrder, deadline: Instant, queue: DeadlineQueue, costs: PlanCosts, workersFreeAt: [Instant],
        now: Instant
    ) -> Progress? {
        guard queueRevision == queue.revision, costsRevision == costs.revision, self.workersFreeAt == workersFreeAt,
            lastOrder.map({ $0 < order }) ?? true, (queue.nextExpiry ?? .distantFuture) > now,
            progress.forecast.earliestFree < deadline
        else { return nil }
        return progress
    }
}
