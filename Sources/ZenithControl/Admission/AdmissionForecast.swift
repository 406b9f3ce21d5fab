/// Admission's prediction for a new request: when it would be served if it were queued now.
///
/// The requests ahead of it in serving order (minus those already expired, which cost no compute)
/// and then the request itself (`count` copies of it: the samples of one HTTP request, which
/// share its targets and follow each other in serving order; the forecast is the last one's) are
/// cut into batches of the size limit; each batch runs the fastest plan meeting its members'
/// highest accuracy target, on the worker that frees first. That is the earliest the scheduler can
/// reach it, so a request is refused as infeasible only if no plan choice could serve it in time.
struct AdmissionForecast: Sendable {
    /// When the batch containing the request starts; a lower bound if `stoppedEarly`.
    var start: Instant
    /// When that batch finishes; `distantFuture` if `stoppedEarly`.
    var completion: Instant
    /// The backlog ahead alone already runs past the deadline, so the forecast stopped there: an
    /// overloaded queue costs admission only as many steps as fit before the deadline.
    var stoppedEarly: Bool

    /// The walk's state once the request's samples are queued behind every queued request, to
    /// resume at the next admission (`BacklogWalk`); `nil` when the walk did not pass the whole queue.
    var tail: BacklogWalk.Progress?

    /// - Parameter resuming: the walk over the whole queue, kept from the previous admission
    ///   (`BacklogWalk.resumable`): it is continued instead of walking the queue again.
    init(
        for request: QueuedRequest, count: Int = 1, queue: DeadlineQueue, workersFreeAt: [Instant], costs: PlanCosts,
        maxBatchSize: Int, now: Instant, resuming: BacklogWalk.Progress? = nil
    ) {
        let targets = request.targets
        var walk = BacklogWalk.Progress(forecast: BacklogForecast(freeAt: workersFreeAt))
        func scheduleChunk(of progress: inout BacklogWalk.Progress) -> (start: Instant, finish: Instant) {
            let plan = costs.fastestPlan(meeting: progress.chunk.accuracy, batch: progress.chunk.count) ?? 0
            defer { progress.chunk = BacklogWalk.Chunk() }
            return progress.forecast.schedule(nanos: costs.nanos(plan, batch: progress.chunk.count))
        }
        func scheduleChunk() -> (start: Instant, finish: Instant) { scheduleChunk(of: &walk) }

        var stopped = false
        var passedQueue = true
        if let resuming {
            walk = resuming
        } else {
            // Queued requests with the same priority and deadline are ahead of a new one (FIFO).
            let order = QueueOrder(priority: targets.priority, deadline: targets.deadline, sequence: .max)
            var visited = 0
            queue.forEachInOrder { queued in
                guard queued.order < order else { return false }
                visited += 1
                guard (queued.targets.expiry ?? .distantFuture) > now else { return true }
                walk.chunk = BacklogWalk.Chunk(
                    count: walk.chunk.count + 1, accuracy: max(walk.chunk.accuracy, queued.targets.accuracyTarget))
                if walk.chunk.count == maxBatchSize {
                    _ = scheduleChunk()
                    stopped = walk.forecast.earliestFree >= targets.deadline
                }
                return !stopped
            }
            passedQueue = !stopped && visited == queue.count
        }
        stoppedEarly = stopped
        if stopped {
            (start, completion) = (walk.forecast.earliestFree, .distantFuture)
            tail = nil
        } else {
            // The request's own samples: full batches first, then the one holding the last sample.
            var remaining = max(count, 1)
            while walk.chunk.count + remaining > maxBatchSize {
                remaining -= maxBatchSize - walk.chunk.count
                walk.chunk = BacklogWalk.Chunk(
                    count: maxBatchSize, accuracy: max(walk.chunk.accuracy, targets.accuracyTarget))
                _ = scheduleChunk()
            }
            walk.chunk = BacklogWalk.Chunk(
                count: walk.chunk.count + remaining, accuracy: max(walk.chunk.accuracy, targets.accuracyTarget))
            // As a later walk would find them once queued: a full batch is scheduled, a partial one pending.
            var queued = walk
            if queued.chunk.count == maxBatchSize { _ = scheduleChunk(of: &queued) }
            tail = passedQueue ? queued : nil
            (start, completion) = scheduleChunk()
        }
    }

    /// When `count` samples with `targets` would finish alone on `workers` idle workers, started
    /// now: full batches, then the rest. Asked only on a refusal (is a retry of any use?).
    static func idleCompletion(
        count: Int, targets: RequestTargets, workers: Int, costs: PlanCosts, maxBatchSize: Int, now: Instant
    ) -> Instant {
        var idle = BacklogForecast(freeAt: Array(repeating: now, count: max(workers, 1)))
        var alone = (finish: now, left: max(count, 1))
        while alone.left > 0 {
            let size = min(alone.left, maxBatchSize)
            let plan = costs.fastestPlan(meeting: targets.accuracyTarget, batch: size) ?? 0
            alone = (idle.schedule(nanos: costs.nanos(plan, batch: size)).finish, alone.left - size)
        }
        return alone.finish
    }
}
