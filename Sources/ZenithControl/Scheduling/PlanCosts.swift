/// The model's plans priced by the latency model: the questions selection and admission ask.
///
/// The calibrated times for batch sizes up to the limit are tabled, since selection and admission
/// ask for them many times per decision, and multiplied by each plan's current correction when
/// asked: an executed batch moves the machine factor every plan's correction shares, so a table of
/// corrected times would be stale for every plan but the one that ran.
struct PlanCosts: Sendable {
    let plans: [PlanProfile]
    private var latency: LatencyModel
    /// `calibrated[plan][batch - 1]`, microseconds.
    private var calibrated: [[Double]]
    /// `latency.correction(plan:)` of every plan.
    private var corrections: [Double]
    /// Counts the refreshes: equal revisions, the same prices (`BacklogWalk`).
    private(set) var revision: UInt64 = 0

    init(plans: [PlanProfile], latency: LatencyModel, maxBatchSize: Int) {
        self.plans = plans
        self.latency = latency
        calibrated = plans.indices.map { plan in
            (1...maxBatchSize).map { latency.calibratedMicros(plan: plan, batch: $0) }
        }
        corrections = plans.indices.map { latency.correction(plan: $0) }
    }

    /// Takes `latency`'s predictions after it learnt from `plan`: that plan's calibrated times
    /// (changed only by a calibration) and every plan's correction.
    mutating func refresh(plan: Int, from latency: LatencyModel) {
        self.latency = latency
        revision &+= 1
        for batch in calibrated[plan].indices {
            calibrated[plan][batch] = latency.calibratedMicros(plan: plan, batch: batch + 1)
        }
        for index in corrections.indices { corrections[index] = latency.correction(plan: index) }
    }

    /// `latency.predictedNanos(plan:batch:)`, as of the last refresh.
    func nanos(_ plan: Int, batch: Int) -> UInt64 {
        guard batch >= 1 && batch <= calibrated[plan].count else { return latency.predictedNanos(plan: plan, batch: batch) }
        return LatencyModel.nanos(micros: calibrated[plan][batch - 1] * corrections[plan])
    }

    /// Whether a full batch of `plan` is predicted at least a tenth cheaper per sample than a batch of
    /// `batch`: only then can waiting for company raise throughput.
    func batchingPays(_ plan: Int, batch: Int) -> Bool {
        let maxBatchSize = calibrated[plan].count
        guard batch > 0, batch < maxBatchSize else { return false }
        let full = Double(nanos(plan, batch: maxBatchSize)) / Double(maxBatchSize)
        return full < 0.9 * Double(nanos(plan, batch: batch)) / Double(batch)
    }

    func accuracy(_ plan: Int) -> Double { plans[plan].expectedAccuracy }

    /// The fastest plan whose expected accuracy is at least `accuracy`, for a batch of `batch`;
    /// the more accurate one on equal time. `nil` only if the target is above every plan.
    func fastestPlan(meeting accuracy: Double, batch: Int) -> Int? {
        var best: (plan: Int, nanos: UInt64)?
        for plan in plans.indices where self.accuracy(plan) >= accuracy {
            let nanos = nanos(plan, batch: batch)
            if let current = best,
                nanos > current.nanos || (nanos == current.nanos && self.accuracy(plan) <= self.accuracy(current.plan))
            {
                continue
            }
            best = (plan, nanos)
        }
        return best?.plan
    }

    /// Plans meeting `accuracy` that, started at `now`, finish a batch of `batch` by `deadline`:
    /// most accurate first, the faster one first on equal accuracy.
    func fittingPlans(accuracy: Double, deadline: Instant, batch: Int, now: Instant) -> [Int] {
        plans.indices
            .filter { self.accuracy($0) >= accuracy && now.advanced(by: nanos($0, batch: batch)) <= deadline }
            .sorted { a, b in
                self.accuracy(a) != self.accuracy(b)
                    ? self.accuracy(a) > self.accuracy(b) : nanos(a, batch: batch) < nanos(b, batch: batch)
            }
    }

    /// The first of `fittingPlans(accuracy:deadline:batch:now:)`, found in one pass without
    /// building the list; `nil` when no plan fits.
    func firstFittingPlan(accuracy: Double, deadline: Instant, batch: Int, now: Instant) -> Int? {
        var best: Int?
        for plan in plans.indices
        where self.accuracy(plan) >= accuracy && now.advanced(by: nanos(plan, batch: batch)) <= deadline {
            guard let current = best else {
                best = plan
                continue
            }
            // Replaced only by a plan that sorts strictly before it, as the stable sort keeps ties in order.
            let before =
                self.accuracy(plan) != self.accuracy(current)
                ? self.accuracy(plan) > self.accuracy(current)
                : nanos(plan, batch: batch) < nanos(current, batch: batch)
            if before { best = plan }
        }
        return best
    }

    /// Whether some plan could serve `request` alone, started at `now`, by its deadline.
    func canServeAlone(_ request: QueuedRequest, now: Instant) -> Bool {
        guard let plan = fastestPlan(meeting: request.targets.accuracyTarget, batch: 1) else { return false }
        return now.advanced(by: nanos(plan, batch: 1)) <= request.targets.deadline
    }
}
