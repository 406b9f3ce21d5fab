/// Predicted execution time per plan and batch size, learned from the machine it runs on.
///
/// Three layers, each correcting the one before:
/// 1. the **profile** (`PlanProfile.latencyMicros`), measured offline, perhaps on another machine;
/// 2. **calibration** at start-up: a measured warm-up sample for (plan, batch) replaces the profiled
///    point (further samples for the same point are averaged in), and the plan's other profiled
///    points are scaled by the plan's mean measured/profiled ratio, so one warm-up batch size is
///    enough to move the whole curve;
/// 3. **online correction**: measured / calibrated time over executed batches, as the product of
///    a *machine* factor, learned from every plan's batches, and a *plan* factor, each plan's
///    lasting difference from the others, learned slowly from its own. Co-located load or an
///    overloaded core slows every plan alike; the plans the controller has stopped running no
///    longer report it, so a per-plan average would keep a dense plan priced at the overload's
///    rate after the overload ended, and the controller would never return to it. Through the
///    machine factor the cheap plans still running carry the news of the recovery to every plan.
public struct LatencyModel: Sendable, Equatable {
    /// A profiled or calibrated point of one plan's curve, in microseconds.
    private struct Point: Sendable, Equatable {
        var prior: Double?
        var measured: Double?
        var samples = 0
    }

    /// Weight of the newest sample in the online correction, in (0, 1].
    public let smoothing: Double
    private var points: [[Int: Point]]
    private var curves: [LatencyCurve]
    /// Measured / calibrated for the machine as a whole (every plan's batches).
    private var machine: Double = 1
    /// Each plan's lasting ratio to the machine factor.
    private var planFactors: [Double]
    /// Measured / predicted over recent batches, its 99.5th percentile (``overrun``).
    private var overrunTracker: QuantileTracker

    /// Starts from the profile's latency priors, uncorrected.
    ///
    /// - Parameters:
    ///   - profile: the model's plans.
    ///   - smoothing: weight of each new measurement in the online correction (clamped to 0.01–1).
    ///     Under load batches finish hundreds of times a second, and early-exit plans' batch times
    ///     vary with how many samples exit: a small weight still follows the machine within a
    ///     fraction of a second without chasing each batch.
    public init(profile: ModelProfile, smoothing: Double = 0.05) {
        self.smoothing = min(max(smoothing.isFinite ? smoothing : 0.05, 0.01), 1)
        points = profile.plans.map { plan in plan.latencyMicros.mapValues { Point(prior: $0) } }
        curves = profile.plans.map { LatencyCurve(points: $0.latencyMicros) }
        planFactors = Array(repeating: 1, count: profile.plans.count)
        overrunTracker = QuantileTracker(quantile: 0.995, step: min(self.smoothing, 0.5), bounds: 1...4)
    }

    /// How much longer than predicted the slow batches run: the 99.5th percentile of measured /
    /// predicted over recent batches, from 1 to 4. The correction factors follow the mean; a
    /// controller that fills its queue up to the deadline by the mean misses with every batch
    /// slower than it, and when the frontend shares the workers' core under a flood, one plan's
    /// batch time varies by several times.
    ///
    /// Each batch's ratio is taken with `overrunJitterMicros` added to both times: admission
    /// stretches a whole backlog's forecast by the overrun, and a batch of a few microseconds that
    /// met a cold cache or an interrupt may take several times its prediction without a backlog
    /// of such batches taking any longer than tens of microseconds more.
    public var overrun: Double { overrunTracker.value }

    /// The scale of timing noise that does not grow with a batch's length (see `overrun`).
    static let overrunJitterMicros = 50.0

    /// Number of plans the model knows.
    public var planCount: Int { curves.count }

    /// Predicted execution time of `plan` (an index into `ModelProfile.plans`) for `batch` requests, µs.
    public func predictedMicros(plan: Int, batch: Int) -> Double {
        calibratedMicros(plan: plan, batch: batch) * correction(plan: plan)
    }

    /// Predicted execution time in nanoseconds, rounded up and at least 1.
    public func predictedNanos(plan: Int, batch: Int) -> UInt64 {
        Self.nanos(micros: predictedMicros(plan: plan, batch: batch))
    }

    /// Microseconds as whole nanoseconds, rounded up and at least 1.
    static func nanos(micros: Double) -> UInt64 {
        max(UInt64.nanoseconds((micros * 1_000).rounded(.up), scale: 1) ?? .max, 1)
    }

    /// The calibrated curve's time for (plan, batch), without the online correction, µs.
    public func calibratedMicros(plan: Int, batch: Int) -> Double {
        curves[plan].micros(batch: max(batch, 1))
    }

    /// The online correction factor of `plan`: measured / calibrated, smoothed (1 = as calibrated).
    public func correction(plan: Int) -> Double { machine * planFactors[plan] }

    /// Feeds a warm-up measurement taken at start-up.
    ///
    /// The first sample for (plan, batch) replaces the profiled time there; later samples for the same
    /// point are averaged with it. The plan's profiled points that have no sample of their own move by
    /// the plan's measured/profiled ratio. The online correction restarts at 1 (the machine's and
    /// the plan's), since the calibration is the newer evidence.
    /// - Parameters:
    ///   - plan: index into `ModelProfile.plans`.
    ///   - batch: the batch size that was run, at least 1.
    ///   - measuredNanos: its execution time.
    /// - Returns: `false` (and changes nothing) for an unknown plan, a batch below 1 or a zero time.
    @discardableResult
    public mutating func calibrate(plan: Int, batch: Int, measuredNanos: UInt64) -> Bool {
        guard points.indices.contains(plan), batch >= 1, measuredNanos > 0 else { return false }
        let micros = Double(measuredNanos) / 1_000
        var point = points[plan][batch] ?? Point()
        point.measured = ((point.measured ?? 0) * Double(point.samples) + micros) / Double(point.samples + 1)
        point.samples += 1
        points[plan][batch] = point
        rebuildCurve(plan: plan)
        machine = 1
        planFactors[plan] = 1
        overrunTracker.reset()
        return true
    }

    /// Feeds the measured execution time of a batch the server ran, for the online correction.
    ///
    /// The machine factor moves toward measured / (calibrated × plan factor) by `smoothing`, so the
    /// plan's correction moves toward measured / calibrated as fast as a per-plan average would;
    /// the plan factor moves toward measured / (calibrated × machine) four times more slowly and
    /// every plan factor returns slowly to 1, so a change every plan shares is taken up by the
    /// machine. One sample is limited to a factor
    /// of 4 either way of the plan's current correction, so a single stall (a page fault storm, a
    /// descheduled thread) cannot make every plan look infeasible, while a machine that really is
    /// slower is still followed within a few batches.
    /// - Returns: `false` (and changes nothing) for an unknown plan, a batch below 1 or a zero time.
    @discardableResult
    public mutating func record(plan: Int, batch: Int, measuredNanos: UInt64) -> Bool {
        guard planFactors.indices.contains(plan), batch >= 1, measuredNanos > 0 else { return false }
        let measured = Double(measuredNanos) / 1_000
        let calibrated = calibratedMicros(plan: plan, batch: batch)
        let ratio = measured / calibrated
        let current = correction(plan: plan)
        overrunTracker.record(
            (measured + Self.overrunJitterMicros) / (calibrated * current + Self.overrunJitterMicros))
        let bounded = min(max(ratio, current / 4), current * 4)
        machine = (1 - smoothing) * machine + smoothing * bounded / planFactors[plan]
        let planSmoothing = smoothing / 4
        planFactors[plan] = (1 - planSmoothing) * planFactors[plan] + planSmoothing * bounded / machine
        // Without evidence a plan differs from the rest, its factor returns to 1, and what the
        // plans share stays with the machine: otherwise a change seen by one plan alone would be
        // split between the two factors, and plans not run would not see their share of it.
        let decay = smoothing / 20
        for index in planFactors.indices { planFactors[index] += decay * (1 - planFactors[index]) }
        return true
    }

    private mutating func rebuildCurve(plan: Int) {
        let planPoints = points[plan]
        let ratios = planPoints.values.compactMap { point -> Double? in
            guard let prior = point.prior, let measured = point.measured else { return nil }
            return measured / prior
        }
        let scale = ratios.isEmpty ? 1 : ratios.reduce(0, +) / Double(ratios.count)
        curves[plan] = LatencyCurve(points: planPoints.mapValues { $0.measured ?? ($0.prior ?? 0) * scale })
    }
}
