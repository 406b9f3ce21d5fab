extension Controller {
    /// Decides what to do next: expire requests, start a batch, or wait.
    ///
    /// In this order: requests past their expiry leave the queue first (`.expire`), so no compute is
    /// spent on them; with no idle worker or no request, `.wait` for the next expiry or `.idle`; a head
    /// that no plan can serve in time is expired under the reject policy; otherwise the next batch and
    /// its plan are chosen (`PlanSelector`) and, unless the batching delay applies, dispatched (`.run`).
    ///
    /// Batching delay: when the whole queue fits in the batch, the batch is below the size limit and
    /// it would take the last idle worker, the batch waits for company until its oldest member has
    /// waited `maxQueueDelayNanos`, but never past the last instant at which the chosen plan still
    /// finishes by the batch's earliest deadline. While another worker is idle, waiting cannot
    /// raise throughput (that worker would take the next arrival at once), so the batch runs now;
    /// nor can it when the plan costs as much per sample in a full batch as in this one (the CNN's
    /// plans above 8 samples), so then too the batch runs now instead of idling the worker.
    public mutating func nextAction(now: Instant) -> SchedulingAction {
        let expired = queue.removeExpired(now: now)
        if !expired.isEmpty {
            return .expire(
                expired.map { request in
                    let timedOut = request.targets.timeout.map { $0 <= now } ?? false
                    return ExpiredRequest(
                        id: request.id, reason: timedOut ? .timedOut : .deadlinePassed,
                        queueNanos: now.nanoseconds(since: request.targets.arrival))
                })
        }
        guard let worker = workers.firstFree, !queue.isEmpty else { return waitForExpiry() }

        let selector = PlanSelector(
            costs: costs, maxBatchSize: configuration.maxBatchSize, lookAheadLimit: configuration.lookAheadLimit,
            now: now, sustainableNanosPerSample: sustainableNanosPerSample(at: now))
        let pool = queue.prefix(configuration.maxBatchSize + configuration.lookAheadLimit)
        switch selector.select(from: pool, otherWorkersFreeAt: workers.freeAt(now: now, excluding: worker)) {
        case .unreachable(let head):
            queue.remove(head.id)
            return .expire([
                ExpiredRequest(
                    id: head.id, reason: .deadlineUnreachable, queueNanos: now.nanoseconds(since: head.targets.arrival))
            ])
        case .batch(let members, let plan, let choice):
            let predicted = costs.nanos(plan, batch: members.count)
            if choice != .bestEffort, members.count < configuration.maxBatchSize, members.count == queue.count,
                workers.freeCount == 1, costs.batchingPays(plan, batch: members.count)
            {
                let oldest = members.map(\.targets.arrival).min()!
                let earliestDeadline = members.map(\.targets.deadline).min()!
                let waitUntil = min(
                    oldest.advanced(by: configuration.maxQueueDelayNanos), earliestDeadline.retreated(by: predicted))
                if now < waitUntil { return .wait(until: min(waitUntil, queue.nextExpiry ?? .distantFuture)) }
            }
            return .run(dispatch(members, plan: plan, choice: choice, predicted: predicted, on: worker, now: now))
        }
    }

    /// Samples submitted per second, recently (the arrival rule's rate).
    public func arrivalsPerSecond(at now: Instant) -> Double {
        arrivals.perSecond(at: now)
    }

    /// The arrival rule's limit (see `PlanSelector`): the most time per sample, in full batches, a
    /// plan may take at the recent arrival rate, within the plans' share of the cores
    /// (`WorkerCapacity.planCores`); infinite before any arrival.
    public func sustainableNanosPerSample(at now: Instant) -> Double {
        let rate = arrivals.perSecond(at: now)
        return rate > 0 ? 1e9 * capacity.planCores(maxUtilization: configuration.maxUtilization) / rate : .infinity
    }

    private func waitForExpiry() -> SchedulingAction {
        queue.nextExpiry.map { .wait(until: $0) } ?? .idle
    }

    /// Takes `members` off the queue and marks `worker` busy with them.
    private mutating func dispatch(
        _ members: [QueuedRequest], plan: Int, choice: PlanChoice, predicted: UInt64, on worker: Int, now: Instant
    ) -> Batch {
        let id = BatchID(nextBatchID)
        nextBatchID += 1
        let completion = now.advanced(by: predicted)
        for member in members { queue.remove(member.id) }
        workers.start(
            WorkerPool.Job(batch: id, plan: plan, size: members.count, startedAt: now, predictedEnd: completion),
            on: worker)
        return Batch(
            id: id, worker: worker, plan: profile.plans[plan], choice: choice,
            members: members.map { request in
                let meets = completion <= request.targets.deadline
                return BatchMember(
                    id: request.id, arrival: request.targets.arrival, deadline: request.targets.deadline,
                    accuracyTarget: request.targets.accuracyTarget,
                    queueNanos: now.nanoseconds(since: request.targets.arrival), predictedToMeetDeadline: meets,
                    bestEffort: request.admittedBestEffort || !meets)
            },
            startedAt: now, predictedNanos: predicted, predictedCompletion: completion)
    }
}
