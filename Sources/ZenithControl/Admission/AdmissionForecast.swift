/// Admission's prediction for a new request: when it would be served if it were queued now.
///
/// The requests ahead of it in serving order (minus those already expired, which cost no compute)
/// and then the request itself (`count` copies of it: the samples of one HTTP request, which
/// share its targets and follow each other in serving order; the forecast is the last one's) are
/// cut into batches of the size limit; each batch runs the fastest plan meeting its members'
/// highest accuracy target, on the worker that frees first. That is the earliest the scheduler can
/// reach it, so a request is refused as infeasible only if no plan choice could serve it in time.
struct AdmissionForecast: Sendable, Equatable {
    /// When the batch containing the request starts; a lower bound if `stoppedEarly`.
    var start: Instant
    /// When that batch finishes; `distantFuture` if `stoppedEarly`.
    var completion: Instant
    /// The backlog ahead alone already runs past the deadline, so the forecast stopped there: an
    /// overloaded queue costs admission only as many steps as fit before the deadline.
    var stoppedEarly: Bool

    init(
        for request: QueuedRequest, count: Int = 1, queue: DeadlineQueue, workersFreeAt: [Instant], costs: PlanCosts,
        maxBatchSize: Int, now: Instant
    ) {
        let targets = request.targets
        var forecast = BacklogForecast(freeAt: workersFreeAt)
        var chunk = (count: 0, accuracy: 0.0)
        func scheduleChunk() -> (start: Instant, finish: Instant) {
            let plan = costs.fastestPlan(meeting: chunk.accuracy, batch: chunk.count) ?? 0
            defer { chunk = (0, 0) }
            return forecast.schedule(nanos: costs.nanos(plan, batch: chunk.count))
        }

        // Queued requests with the same priority and deadline are ahead of a new one (FIFO).
        let order = QueueOrder(priority: targets.priority, deadline: targets.deadline, sequence: .max)
        var stopped = false
        queue.forEachInOrder { queued in
            guard queued.order < order else { return false }
            guard (queued.targets.expiry ?? .distantFuture) > now else { return true }
            chunk = (chunk.count + 1, max(chunk.accuracy, queued.targets.accuracyTarget))
            if chunk.count == maxBatchSize {
                _ = scheduleChunk()
                stopped = forecast.earliestFree >= targets.deadline
            }
            return !stopped
        }
        stoppedEarly = stopped
        if stopped {
            (start, completion) = (forecast.earliestFree, .distantFuture)
        } else {
            // The request's own samples: full batches first, then the one holding the last sample.
            var remaining = max(count, 1)
            while chunk.count + remaining > maxBatchSize {
                remaining -= maxBatchSize - chunk.count
                chunk = (maxBatchSize, max(chunk.accuracy, targets.accuracyTarget))
                _ = scheduleChunk()
            }
            chunk = (chunk.count + remaining, max(chunk.accuracy, targets.accuracyTarget))
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
