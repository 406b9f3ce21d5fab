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
        arrivals.record(at: now)
        var targets = resolved
        targets.deadline = configuration.planningDeadline(resolved)
        guard !queue.contains(id) else { return .invalid(.duplicateRequestID(id)) }
        guard targets.accuracyTarget <= profile.bestAccuracy else {
            return .invalid(.accuracyAboveModel(requested: targets.accuracyTarget, best: profile.bestAccuracy))
        }
        guard queue.count < policy.maxQueueDepth else {
            return .rejected(.queueFull(retryAfterNanos: queueFullRetryAfter(now: now)))
        }

        var request = QueuedRequest(id: id, targets: targets)
        let forecast = AdmissionForecast(
            for: request, queue: queue, workersFreeAt: workers.freeAt(now: now), costs: costs,
            maxBatchSize: configuration.maxBatchSize, now: now)
        if forecast.completion > targets.deadline {
            guard targets.policy == .bestEffort else {
                // Retrying helps only if the backlog, not the target itself, is the problem.
                let retry = forecast.idleCompletion > targets.deadline ? nil : forecast.start.nanoseconds(since: now)
                return .rejected(.sloInfeasible(retryAfterNanos: retry))
            }
            request.admittedBestEffort = true
        }
        queue.insert(request)
        return .admitted(deadline: targets.deadline, bestEffort: request.admittedBestEffort)
    }

    /// When room should appear: the next predicted batch completion (a dispatch frees up to a batch
    /// of queue slots), or, with no batch running, the time of one full batch of the fastest plan.
    private func queueFullRetryAfter(now: Instant) -> UInt64 {
        if let end = workers.nextPredictedEnd { return end.nanoseconds(since: now) }
        let fastest = costs.fastestPlan(meeting: 0, batch: configuration.maxBatchSize) ?? 0
        return costs.nanos(fastest, batch: configuration.maxBatchSize)
    }
}
