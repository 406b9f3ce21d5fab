import Foundation
import ZenithControl

/// The answered requests of one model over the last `RecentWindow.seconds` seconds, for the
/// operator API's `status` and `attainment`: a ring of per-second buckets, each with a fixed
/// log-scale latency histogram, plan sample counts and reject counts.
///
/// A plain value without a clock or a lock: callers pass `now` (the monotonic clock's instant)
/// and `RecentStatistics` guards it. Recording is O(1) and never allocates — the buckets are
/// sized when the window is made and a bucket of an old second is zeroed in place when reused.
struct RecentWindow: Sendable {
    /// The window's length.
    static let seconds = 10

    /// Latency histogram: bucket `i` holds latencies in [2^(i/8), 2^((i+1)/8)) µs, so a reported
    /// percentile is within about 4.5 % of the truth; below 1 µs counts as the first bucket and
    /// beyond the last (≈ 134 s) as the last.
    static let bucketsPerOctave = 8.0
    static let latencyBuckets = 27 * 8

    /// Plans, in the order their sample counts are kept.
    let plans: [String]
    /// Reject reasons counted (others are not expected: `ModelMetrics.rejectReasons` lists them all).
    let reasons: [String]
    private var slots: [Slot]
    /// When the window started: before `seconds` have passed, rates divide by the time there was.
    private let start: Instant

    private struct Slot {
        /// The second (monotonic nanoseconds / 10⁹) this slot counts; `nil` when unused.
        var second: UInt64?
        var served = 0
        var failed = 0
        var sloMet = 0
        var sloMissed = 0
        var latency: [UInt32]
        var planSamples: [Int]
        var rejects: [Int]

        init(plans: Int, reasons: Int) {
            latency = Array(repeating: 0, count: RecentWindow.latencyBuckets)
            planSamples = Array(repeating: 0, count: plans)
            rejects = Array(repeating: 0, count: reasons)
        }

        mutating func reset(to second: UInt64) {
            self.second = second
            (served, failed, sloMet, sloMissed) = (0, 0, 0, 0)
            for i in latency.indices { latency[i] = 0 }
            for i in planSamples.indices { planSamples[i] = 0 }
            for i in rejects.indices { rejects[i] = 0 }
        }
    }

    /// - Parameters:
    ///   - plans: the model's plan names.
    ///   - reasons: the reject reasons to count.
    ///   - start: now.
    init(plans: [String], reasons: [String], start: Instant) {
        self.plans = plans
        self.reasons = reasons
        self.start = start
        slots = Array(repeating: Slot(plans: plans.count, reasons: reasons.count), count: Self.seconds)
    }

    /// A request answered with outputs, its samples served with `samplePlans`.
    mutating func served(latencyNanos: UInt64, plans samplePlans: some Sequence<String>, sloMet: Bool, now: Instant) {
        let slot = slotIndex(now)
        slots[slot].served += 1
        if sloMet { slots[slot].sloMet += 1 } else { slots[slot].sloMissed += 1 }
        slots[slot].latency[Self.bucket(nanos: latencyNanos)] &+= 1
        for plan in samplePlans {
            if let index = plans.firstIndex(of: plan) { slots[slot].planSamples[index] += 1 }
        }
    }

    /// A request answered without outputs; `missedSLO` for refusals and expiries.
    mutating func failed(reason: String, missedSLO: Bool, now: Instant) {
        let slot = slotIndex(now)
        slots[slot].failed += 1
        if missedSLO { slots[slot].sloMissed += 1 }
        if let index = reasons.firstIndex(of: reason) { slots[slot].rejects[index] += 1 }
    }

    /// The slot of `now`'s second, emptied first if it still holds an older second.
    private mutating func slotIndex(_ now: Instant) -> Int {
        let second = now.nanoseconds / 1_000_000_000
        let index = Int(second % UInt64(Self.seconds))
        if slots[index].second != second { slots[index].reset(to: second) }
        return index
    }

    /// What the window holds at `now`: the current second and the `seconds - 1` before it.
    func summary(now: Instant) -> RecentSummary {
        let second = now.nanoseconds / 1_000_000_000
        let oldest = second >= UInt64(Self.seconds - 1) ? second - UInt64(Self.seconds - 1) : 0
        var served = 0
        var failed = 0
        var met = 0
        var missed = 0
        var latency = [Int](repeating: 0, count: Self.latencyBuckets)
        var planSamples = [Int](repeating: 0, count: plans.count)
        var rejects = [Int](repeating: 0, count: reasons.count)
        for slot in slots {
            guard let slotSecond = slot.second, slotSecond >= oldest, slotSecond <= second else { continue }
            served += slot.served
            failed += slot.failed
            met += slot.sloMet
            missed += slot.sloMissed
            for i in latency.indices { latency[i] += Int(slot.latency[i]) }
            for i in planSamples.indices { planSamples[i] += slot.planSamples[i] }
            for i in rejects.indices { rejects[i] += slot.rejects[i] }
        }
        // The buckets cover the full seconds before this one and this one so far; a young window
        // covers only its age (and at least a second, so one early request is not a huge rate).
        let covered = UInt64(Self.seconds - 1) * 1_000_000_000 + now.nanoseconds % 1_000_000_000
        let seconds = max(Double(min(covered, now.nanoseconds(since: start))) / 1e9, 1)
        let samples = planSamples.reduce(0, +)
        return RecentSummary(
            requestsPerSecond: Double(served + failed) / seconds,
            p50Ms: Self.percentile(0.50, of: latency, count: served).map { $0 / 1e6 },
            p99Ms: Self.percentile(0.99, of: latency, count: served).map { $0 / 1e6 },
            attainment: met + missed == 0 ? nil : Double(met) / Double(met + missed),
            planMix: samples == 0
                ? [] : zip(plans, planSamples).filter { $0.1 > 0 }.map { ($0.0, Double($0.1) / Double(samples)) },
            rejects: Array(zip(reasons, rejects)))
    }

    /// The histogram bucket of a latency.
    static func bucket(nanos: UInt64) -> Int {
        let micros = Double(nanos) / 1_000
        guard micros > 1 else { return 0 }
        return min(Int(Foundation.log2(micros) * bucketsPerOctave), latencyBuckets - 1)
    }

    /// The latency a bucket stands for: its geometric middle, in nanoseconds.
    static func representativeNanos(bucket: Int) -> Double {
        1_000 * Foundation.pow(2, (Double(bucket) + 0.5) / bucketsPerOctave)
    }

    /// The `q` quantile (nearest rank) of `count` latencies in `histogram`; `nil` when empty.
    static func percentile(_ q: Double, of histogram: [Int], count: Int) -> Double? {
        guard count > 0 else { return nil }
        let rank = max(Int((q * Double(count)).rounded(.up)), 1)
        var seen = 0
        for (bucket, n) in histogram.enumerated() {
            seen += n
            if seen >= rank { return representativeNanos(bucket: bucket) }
        }
        return representativeNanos(bucket: histogram.count - 1)
    }
}
