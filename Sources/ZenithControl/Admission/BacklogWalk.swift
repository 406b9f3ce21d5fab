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
///
/// Workers that were idle at the walk and still are do not count as changed: an idle worker is
/// free "now", which moves with every arrival, and the schedule of a backlog that starts on idle
/// workers only moves with it. This is the common case when batches run on the event loop between
/// reads (`--idle-poll`): every arrival finds the worker idle and a queue that grows until the
/// batch runs, which without the shift walked the whole queue once an arrival.
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
    /// The admission's `now` when the walk was taken.
    var walkedAt: Instant
    /// The serving order of the queue's last request (every other is before it); `nil` if it was empty.
    var lastOrder: QueueOrder?

    /// The progress to resume for a request that would be queued at `order` with planning
    /// `deadline`, or `nil` when only a full walk gives the right forecast.
    func resumable(
        order: QueueOrder, deadline: Instant, queue: DeadlineQueue, costs: PlanCosts, workersFreeAt: [Instant],
        now: Instant
    ) -> Progress? {
        guard queueRevision == queue.revision, costsRevision == costs.revision,
            lastOrder.map({ $0 < order }) ?? true, (queue.nextExpiry ?? .distantFuture) > now
        else { return nil }
        var progress = self.progress
        if self.workersFreeAt != workersFreeAt {
            guard now >= walkedAt, self.workersFreeAt.allSatisfy({ $0 == walkedAt }),
                workersFreeAt.allSatisfy({ $0 == now })
            else { return nil }
            progress.forecast.delay(by: now.nanoseconds(since: walkedAt))
        }
        guard progress.forecast.earliestFree < deadline else { return nil }
        return progress
    }
}
