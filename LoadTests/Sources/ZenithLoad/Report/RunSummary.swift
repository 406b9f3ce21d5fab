import Histogram

/// The aggregates of one run: throughput, latency percentiles (HDR histograms, microseconds),
/// SLO attainment, served accuracy, rejects by reason, plan mix, and a per-second timeline.
public struct RunSummary: Sendable {
    /// The run's label (`dense`, `slo`, ...).
    public var mode: String
    /// Requests scheduled (and sent: the sender sends every one).
    public var sent: Int
    /// Requests answered with outputs.
    public var answered: Int
    /// Images in the sent requests.
    public var sentImages: Int
    /// Images in the answered requests.
    public var answeredImages: Int
    /// Answered images whose prediction matched the label.
    public var correctImages: Int
    /// Images per sent request (the scenario's `images_per_request`; 0 when nothing was sent).
    public var imagesPerRequest: Double
    /// Offered load: sent per second of schedule.
    public var offeredRate: Double
    /// Answers with outputs per second of schedule.
    public var throughput: Double
    /// Offered images per second of schedule.
    public var offeredImageRate: Double
    /// Answered images per second of schedule.
    public var imageThroughput: Double
    /// Latency percentiles of answered requests, ms from the scheduled send time: p50, p90, p99, p99.9, max.
    public var latencyMs: Percentiles
    /// Share of sent requests whose SLO was met (rejections, errors and lost answers are misses).
    public var attainment: Double
    /// Share of sent requests answered within their latency target, whatever plan served them
    /// (`attainment` also asks the plan to meet the accuracy target).
    public var withinLatencyTarget: Double
    /// Share of answered images whose prediction matched the label.
    public var servedAccuracy: Double?
    /// Correct images over *sent* images (a refused request earns nothing).
    public var goodputAccuracy: Double
    /// Failures by reason (`slo_infeasible`, `queue_full`, transport errors, ...).
    public var rejects: [String: Int]
    /// Answers per plan.
    public var planCounts: [String: Int]
    /// Share of answers that left at an early exit.
    public var exitShare: Double?
    /// How far behind schedule requests left, ms: p50, p90, p99, p99.9, max.
    public var sendLatenessMs: Percentiles
    /// Share of sends more than 1 ms behind schedule.
    public var lateShare: Double
    /// Per class: sent, attainment, served accuracy.
    public var classes: [ClassSummary]
    /// One entry per second of schedule.
    public var timeline: [TimeBin]

    /// Latency figures in milliseconds (NaN when there were no values).
    public struct Percentiles: Sendable, Equatable {
        /// Median.
        public var p50: Double
        /// 90th percentile.
        public var p90: Double
        /// 99th percentile.
        public var p99: Double
        /// 99.9th percentile.
        public var p999: Double
        /// Largest value.
        public var max: Double
        /// Mean.
        public var mean: Double
    }

    /// One SLO class's figures.
    public struct ClassSummary: Sendable, Equatable {
        /// The class name.
        public var name: String
        /// Requests of the class sent.
        public var sent: Int
        /// Share of them whose SLO was met.
        public var attainment: Double
        /// Share of the answered images that were correct.
        public var servedAccuracy: Double?
        /// p99 latency of the answered ones, ms.
        public var p99Ms: Double?
    }

    /// One second of the run, by scheduled send time.
    public struct TimeBin: Sendable, Equatable {
        /// Seconds from the start (the bin is `[second, second + 1)`).
        public var second: Int
        /// Requests scheduled in this second.
        public var sent: Int
        /// Of those, answered with outputs.
        public var answered: Int
        /// Of those, sent more than 1 ms after their scheduled time: the harness itself behind.
        public var late: Int
        /// Of those sent, the share whose SLO was met.
        public var attainment: Double?
        /// p99 latency of the answered ones, ms.
        public var p99Ms: Double?
        /// Share of the answered images that were correct.
        public var servedAccuracy: Double?
        /// Answers per plan in this second.
        public var plans: [String: Int]
    }

    /// Summarises `record`.
    public init(_ record: RunRecord) {
        mode = record.mode
        let samples = record.samples
        sent = samples.count
        let answeredSamples = samples.filter(\.answered)
        answered = answeredSamples.count
        sentImages = samples.reduce(0) { $0 + $1.images }
        answeredImages = answeredSamples.reduce(0) { $0 + $1.images }
        correctImages = answeredSamples.reduce(0) { $0 + ($1.correctImages ?? 0) }
        imagesPerRequest = sent == 0 ? 0 : Double(sentImages) / Double(sent)
        let seconds = max(record.durationSeconds, 1e-9)
        offeredRate = Double(sent) / seconds
        throughput = Double(answered) / seconds
        offeredImageRate = Double(sentImages) / seconds
        imageThroughput = Double(answeredImages) / seconds
        latencyMs = Self.percentiles(answeredSamples.compactMap(\.latencyNanos))
        sendLatenessMs = Self.percentiles(samples.map(\.lateNanos))
        lateShare = samples.isEmpty ? 0 : Double(samples.count(where: \.isLate)) / Double(samples.count)
        attainment = samples.isEmpty ? 0 : Double(samples.count(where: \.attained)) / Double(samples.count)
        withinLatencyTarget =
            samples.isEmpty
            ? 0
            : Double(answeredSamples.count { Double($0.latencyNanos ?? .max) <= $0.latencyTargetMs * 1e6 })
                / Double(samples.count)
        servedAccuracy = Self.servedAccuracy(answeredSamples)
        goodputAccuracy = sentImages == 0 ? 0 : Double(correctImages) / Double(sentImages)
        var rejects: [String: Int] = [:]
        for sample in samples where !sample.answered {
            rejects[sample.outcome.rejectReason ?? "http_\(sample.outcome.status)", default: 0] += 1
        }
        self.rejects = rejects
        var plans: [String: Int] = [:]
        for sample in answeredSamples { plans[sample.outcome.plan ?? "?", default: 0] += 1 }
        planCounts = plans
        exitShare = answered == 0 ? nil : Double(answeredSamples.count(where: \.outcome.exited)) / Double(answered)

        var classNames: [String] = []
        for sample in samples where !classNames.contains(sample.sloClass) { classNames.append(sample.sloClass) }
        classes = classNames.map { name in
            let members = samples.filter { $0.sloClass == name }
            let served = members.filter(\.answered)
            return ClassSummary(
                name: name, sent: members.count,
                attainment: Double(members.count(where: \.attained)) / Double(max(members.count, 1)),
                servedAccuracy: Self.servedAccuracy(served),
                p99Ms: served.isEmpty ? nil : Self.percentiles(served.compactMap(\.latencyNanos)).p99)
        }

        let binCount = Int(record.durationSeconds.rounded(.up))
        var bins = [[Sample]](repeating: [], count: max(binCount, 1))
        for sample in samples {
            bins[min(Int(sample.scheduledNanos / 1_000_000_000), bins.count - 1)].append(sample)
        }
        timeline = bins.enumerated().map { second, members in
            let served = members.filter(\.answered)
            var plans: [String: Int] = [:]
            for sample in served { plans[sample.outcome.plan ?? "?", default: 0] += 1 }
            return TimeBin(
                second: second, sent: members.count, answered: served.count,
                late: members.count(where: \.isLate),
                attainment: members.isEmpty ? nil : Double(members.count(where: \.attained)) / Double(members.count),
                p99Ms: served.isEmpty ? nil : Self.percentiles(served.compactMap(\.latencyNanos)).p99,
                servedAccuracy: Self.servedAccuracy(served),
                plans: plans)
        }
    }

    /// Correct images over the images of `answered` (answered samples), `nil` for none.
    static func servedAccuracy(_ answered: [Sample]) -> Double? {
        let images = answered.reduce(0) { $0 + $1.images }
        guard images > 0 else { return nil }
        return Double(answered.reduce(0) { $0 + ($1.correctImages ?? 0) }) / Double(images)
    }

    /// Percentiles through an HDR histogram of microseconds (3 significant digits).
    static func percentiles(_ nanos: [UInt64]) -> Percentiles {
        guard !nanos.isEmpty else { return Percentiles(p50: .nan, p90: .nan, p99: .nan, p999: .nan, max: .nan, mean: .nan) }
        var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
        for value in nanos { histogram.record(max(1, (value + 500) / 1_000)) }
        let ms: (UInt64) -> Double = { Double($0) / 1_000 }
        return Percentiles(
            p50: ms(histogram.valueAtPercentile(50)), p90: ms(histogram.valueAtPercentile(90)),
            p99: ms(histogram.valueAtPercentile(99)), p999: ms(histogram.valueAtPercentile(99.9)),
            max: ms(histogram.max), mean: histogram.mean / 1_000)
    }
}
