import ZenithCore

/// Forms the next batch from the head of the queue and picks its plan.
///
/// **Batch.** The head of the queue (serving order) always leads. Each following request, in
/// serving order, joins while the batch is below the size limit and some plan still meets every
/// member's accuracy target and finishes, started now, by every member's deadline; a request that
/// would break that is skipped and stays queued for a later batch.
///
/// **Plan: batch rule.** The candidates are the plans that meet the batch's highest accuracy target
/// and, started now, finish by its earliest deadline. The batch rule takes the most accurate one.
///
/// **Plan: arrival rule (load awareness).** A plan whose time per sample, in full batches, exceeds
/// `sustainableNanosPerSample` (the workers' time at the recent arrival rate, less a margin) would
/// let the queue grow however much slack the queued requests have now; such candidates are
/// dropped while a cheaper one remains (when none does, the fastest candidate is kept).
///
/// **Plan: look-ahead rule (load awareness, after slo-nns).** Under a backlog the batch rule would
/// spend the slack of the requests behind the batch. So each candidate `p`, most accurate first, is
/// tried against the queue behind the batch (up to `lookAheadLimit` requests, serving order, cut into
/// batches of the size limit): this batch runs `p` on this worker, and every later batch runs `p`
/// too — or, if `p` is below that batch's accuracy target, the fastest plan meeting it — on whichever
/// worker frees first, busy workers counted until their predicted end. The first candidate whose
/// forecast has every *savable* request behind finishing by its deadline is chosen. A request is
/// savable if it meets its deadline when this batch runs the fastest candidate and every later batch
/// its own fastest acceptable plan; a request no schedule can save does not veto (otherwise one
/// hopeless request would switch load awareness off). When no candidate passes, the batch rule
/// decides (`PlanChoice.fitsBatch`).
///
/// **No plan fits the head.** Under the reject policy the head is expired unserved. Under the
/// best-effort policy it runs now with the fastest plan meeting its accuracy target, joined by
/// requests that this plan also satisfies: other hopeless best-effort requests, or requests whose
/// deadline the batch still meets.
struct PlanSelector: Sendable {
    let costs: PlanCosts
    let maxBatchSize: Int
    let lookAheadLimit: Int
    let now: Instant
    /// The most time per sample a plan may take at the recent arrival rate (see the type's comment).
    var sustainableNanosPerSample: Double = .infinity

    enum Selection: Sendable, Equatable {
        /// The head cannot be served in time and its policy is reject.
        case unreachable(QueuedRequest)
        case batch(members: [QueuedRequest], plan: Int, choice: PlanChoice)
    }

    /// - Parameters:
    ///   - pool: the head of the queue in serving order, non-empty.
    ///   - otherWorkersFreeAt: when the workers other than the one to run this batch are free.
    func select(from pool: [QueuedRequest], otherWorkersFreeAt: [Instant]) -> Selection {
        let head = pool[0]
        guard costs.canServeAlone(head, now: now) else {
            return head.targets.policy == .reject ? .unreachable(head) : bestEffortBatch(from: pool)
        }

        var members = [head]
        var accuracy = head.targets.accuracyTarget
        var deadline = head.targets.deadline
        var behind: [QueuedRequest] = []
        for request in pool.dropFirst() {
            let joined = (max(accuracy, request.targets.accuracyTarget), min(deadline, request.targets.deadline))
            if members.count < maxBatchSize, fits(accuracy: joined.0, deadline: joined.1, batch: members.count + 1) {
                members.append(request)
                (accuracy, deadline) = joined
            } else if behind.count < lookAheadLimit {
                behind.append(request)
            }
        }

        // With nobody behind, the look-ahead rule takes the first candidate: find it without
        // listing and sorting them all (the common case at light load).
        if behind.isEmpty,
            let plan = costs.firstFittingPlan(accuracy: accuracy, deadline: deadline, batch: members.count, now: now),
            keepsUp(plan)
        {
            return .batch(members: members, plan: plan, choice: .fitsBacklog)
        }
        let candidates = sustainable(
            costs.fittingPlans(accuracy: accuracy, deadline: deadline, batch: members.count, now: now),
            batchSize: members.count)
        let (plan, choice) = lookAhead(
            candidates: candidates, batchSize: members.count, behind: behind, otherWorkersFreeAt: otherWorkersFreeAt)
        return .batch(members: members, plan: plan, choice: choice)
    }

    /// The arrival rule over `candidates` (non-empty, most accurate first); see the type's comment.
    private func sustainable(_ candidates: [Int], batchSize: Int) -> [Int] {
        guard sustainableNanosPerSample.isFinite else { return candidates }
        let kept = candidates.filter(keepsUp)
        if !kept.isEmpty { return kept }
        return [candidates.min { costs.nanos($0, batch: batchSize) < costs.nanos($1, batch: batchSize) }!]
    }

    /// Whether `plan`, in full batches, keeps up with the recent arrival rate.
    private func keepsUp(_ plan: Int) -> Bool {
        Double(costs.nanos(plan, batch: maxBatchSize)) / Double(maxBatchSize) <= sustainableNanosPerSample
    }

    /// Whether some plan meets `accuracy` and, started now, finishes `batch` requests by `deadline`.
    private func fits(accuracy: Double, deadline: Instant, batch: Int) -> Bool {
        guard let plan = costs.fastestPlan(meeting: accuracy, batch: batch) else { return false }
        return now.advanced(by: costs.nanos(plan, batch: batch)) <= deadline
    }

    /// The look-ahead rule over `candidates` (non-empty, most accurate first); see the type's comment.
    private func lookAhead(
        candidates: [Int], batchSize: Int, behind: [QueuedRequest], otherWorkersFreeAt: [Instant]
    ) -> (Int, PlanChoice) {
        guard !behind.isEmpty else { return (candidates[0], .fitsBacklog) }
        let chunks = behind.chunks(of: maxBatchSize).map { chunk in
            (count: chunk.count, accuracy: chunk.map(\.targets.accuracyTarget).max()!)
        }
        let mostAccurate = costs.plans.indices.max { costs.accuracy($0) < costs.accuracy($1) }!

        /// Predicted finish of each request behind, if this batch runs `plan` and later batches
        /// run `plan` (`samePlan`) or their own fastest acceptable plan.
        func finishes(_ plan: Int, samePlan: Bool) -> [Instant] {
            var forecast = BacklogForecast(freeAt: otherWorkersFreeAt + [now.advanced(by: costs.nanos(plan, batch: batchSize))])
            var result: [Instant] = []
            for chunk in chunks {
                let chunkPlan =
                    samePlan && costs.accuracy(plan) >= chunk.accuracy
                    ? plan : costs.fastestPlan(meeting: chunk.accuracy, batch: chunk.count) ?? mostAccurate
                let finish = forecast.schedule(nanos: costs.nanos(chunkPlan, batch: chunk.count)).finish
                result += repeatElement(finish, count: chunk.count)
            }
            return result
        }

        let fastest = candidates.min { costs.nanos($0, batch: batchSize) < costs.nanos($1, batch: batchSize) }!
        let savable = zip(behind, finishes(fastest, samePlan: false)).map { $1 <= $0.targets.deadline }
        for plan in candidates {
            let predicted = finishes(plan, samePlan: true)
            if behind.indices.allSatisfy({ !savable[$0] || predicted[$0] <= behind[$0].targets.deadline }) {
                return (plan, .fitsBacklog)
            }
        }
        return (candidates[0], .fitsBatch)
    }

    /// The batch led by a head no plan can serve in time, under the best-effort policy.
    private func bestEffortBatch(from pool: [QueuedRequest]) -> Selection {
        let head = pool[0]
        let plan = costs.fastestPlan(meeting: head.targets.accuracyTarget, batch: 1) ?? 0
        var members = [head]
        // The earliest deadline among members that can still make theirs; they must not be made late.
        var deadline = Instant.distantFuture
        for request in pool.dropFirst() where members.count < maxBatchSize {
            guard request.targets.accuracyTarget <= costs.accuracy(plan) else { continue }
            let finish = now.advanced(by: costs.nanos(plan, batch: members.count + 1))
            if costs.canServeAlone(request, now: now) {
                guard finish <= min(deadline, request.targets.deadline) else { continue }
                deadline = min(deadline, request.targets.deadline)
            } else {
                // Hopeless under reject policy: it will be expired, not served late.
                guard request.targets.policy == .bestEffort, finish <= deadline else { continue }
            }
            members.append(request)
        }
        return .batch(members: members, plan: plan, choice: .bestEffort)
    }
}
