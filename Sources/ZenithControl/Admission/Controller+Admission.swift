import ZenithCore

extension Controller {
    /// Resolves a request's targets and admits, refuses or rejects it.
    ///
    /// - Parameters:
    ///   - id: the server's name for the request, not already queued.
    ///   - requested: the targets, class, timeout and priority it asked for.
    ///   - now: its arrival.
    /// - Returns: `.invalid` for targets no machine could meet (400); `.rejected(.queueFull)` when the
    ///   queue is at its bound (503); `.rejected(.sloInfeasible)` when, under the reject policy, no
    ///   plan is predicted to serve it in time behind the current backlog (429); else `.admitted`.
    public mutating func submit(id: RequestID, requested: RequestedSLO, now: Instant) -> AdmissionDecision {
        switch policy.resolve(requested, arrival: now, bestAccuracy: profile.bestAccuracy) {
        case .failure(let invalid): .invalid(invalid)
        case .success(let targets): submit(id: id, targets: targets, now: now)
        }
    }

    /// Admits, refuses or rejects a request whose targets are already resolved (`SLOPolicy.resolve`).
    ///
    /// From here on the request is planned against its deadline less the configured headroom
    /// (`ControllerConfiguration.deadlineHeadroom`); the decision reports that deadline.
    public mutating func submit(id: RequestID, targets resolved: RequestTargets, now: Instant) -> AdmissionDecision {
        submit(ids: [id], targets: resolved, now: now)
    }

    /// Admits all of `ids` (the samples of one HTTP request, sharing its targets) or none, as
    /// `submit(id:targets:now:)` would one by one, but with one forecast: the samples follow each
    /// other in serving order, so if the last is predicted in time, so are the others.
    ///
    /// - Parameter ids: distinct, none already queued; queued in this order. (An array, not a
    ///   generic collection: a generic call across modules is not specialised, and looking up
    ///   its metadata showed in the server's profile.)
    public mutating func submit(ids: [RequestID], targets resolved: RequestTargets, now: Instant) -> AdmissionDecision {
        arrivals.record(at: now, count: ids.count)
        var targets = resolved
        targets.deadline = configuration.planningDeadline(resolved, overheadNanos: overheadNanos(at: now))
        if let duplicate = ids.first(where: queue.contains) { return .invalid(.duplicateRequestID(duplicate)) }
        guard targets.accuracyTarget <= profile.bestAccuracy else {
            return .invalid(.accuracyAboveModel(requested: targets.accuracyTarget, best: profile.bestAccuracy))
        }
        guard let first = ids.first else { return .admitted(deadline: targets.deadline, bestEffort: false) }
        guard queue.count + ids.count <= policy.maxQueueDepth else {
            return .rejected(.queueFull(retryAfterNanos: queueFullRetryAfter(now: now)))
        }

        var bestEffort = false
        let freeAt = workers.freeAt(now: now)
        let order = QueueOrder(priority: targets.priority, deadline: targets.deadline, sequence: .max)
        let resumed =
            resumesBacklogWalk
            ? backlogWalk?.resumable(
                order: order, deadline: targets.deadline, queue: queue, costs: costs, workersFreeAt: freeAt, now: now)
            : nil
        if resumed != nil { resumedBacklogWalks += 1 }
        let forecast = AdmissionForecast(
            for: QueuedRequest(id: first, targets: targets), count: ids.count, queue: queue, workersFreeAt: freeAt,
            costs: costs, maxBatchSize: configuration.maxBatchSize, now: now, resuming: resumed)
        // Admitted only if in time even when its batches run as long as the slow ones recently
        // did: by the mean alone, every batch slower than the mean makes the last admitted late.
        if forecast.completion.stretched(from: now, by: latency.overrun) > targets.deadline {
            if targets.policy != .bestEffort {
                guard isProbe(count: ids.count, targets: targets, now: now) else {
                    // Retrying helps only if the backlog, not the target itself, is the problem.
                    let idle = AdmissionForecast.idleCompletion(
                        count: ids.count, targets: targets, workers: configuration.workers, costs: costs,
                        maxBatchSize: configuration.maxBatchSize, now: now)
                    let retry = idle > targets.deadline ? nil : forecast.start.nanoseconds(since: now)
                    return .rejected(.sloInfeasible(retryAfterNanos: retry))
                }
                // A probe is run even if late, as the best-effort policy would run it.
                targets.policy = .bestEffort
            }
            bestEffort = true
        }
        for id in ids {
            var request = QueuedRequest(id: id, targets: targets)
            request.admittedBestEffort = bestEffort
            queue.insert(request)
        }
        backlogWalk = forecast.tail.map { tail in
            BacklogWalk(
                progress: tail, queueRevision: queue.revision, costsRevision: costs.revision, workersFreeAt: freeAt,
                walkedAt: now, lastOrder: queue.lastInsertedOrder)
        }
        return .admitted(deadline: targets.deadline, bestEffort: bestEffort)
    }

    /// Whether a request the forecast refuses is served anyway, to test the forecast: the server
    /// is idle (queue empty, a worker free), the request fits one batch, batches have run but none
    /// has finished for `probeIntervalNanos`, and the fastest plan meeting the accuracy target
    /// would be in time as calibrated at start-up, so only the online correction says no.
    ///
    /// The correction learns only from batches that run. After a spell of co-located load or
    /// overload has raised it, every request may be refused, no batch runs, and the correction
    /// would never learn that the machine is free again. A probe costs nothing the refusal would
    /// not: it is a miss either way if late, and it delays nobody, the server being idle.
    func isProbe(count: Int, targets: RequestTargets, now: Instant) -> Bool {
        // One batch on an idle server, and some batch has taught the correction something.
        guard queue.isEmpty, workers.firstFree != nil, count <= configuration.maxBatchSize,
            let lastCompletion, now.nanoseconds(since: lastCompletion) >= Self.probeIntervalNanos
        else { return false }
        guard let plan = costs.fastestPlan(meeting: targets.accuracyTarget, batch: count) else { return false }
        let calibrated = UInt64((latency.calibratedMicros(plan: plan, batch: count) * 1_000).rounded(.up))
        return now.advanced(by: calibrated) <= targets.deadline
    }

    /// How long without a finished batch before an idle server serves a refused request as a
    /// probe (`isProbe`): at most this many probes a second, and none while batches still run.
    static let probeIntervalNanos: UInt64 = 5_000_000

    /// When room should appear: the next predicted batch completion (a dispatch frees up to a batch
    /// of queue slots), or, with no batch running, the time of one full batch of the fastest plan.
    private func queueFullRetryAfter(now: Instant) -> UInt64 {
        if let end = workers.nextPredictedEnd { return end.nanoseconds(since: now) }
        let fastest = costs.fastestPlan(meeting: 0, batch: configuration.maxBatchSize) ?? 0
        return costs.nanos(fastest, batch: configuration.maxBatchSize)
    }
}
