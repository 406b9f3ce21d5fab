/// The full plan of one run: when each request leaves, its class and its image.
///
/// Built once from the scenario and the seed, so a comparison sends the identical trace to
/// both servers.
public struct RequestSchedule: Sendable, Equatable {
    /// Send offsets in nanoseconds from the start, sorted.
    public var offsetsNanos: [UInt64]
    /// The class index (into `Scenario.classes`) of each request.
    public var classIndices: [Int]
    /// The payload index (into the pool) of each request: round-robin over the pool.
    public var payloadIndices: [Int]
    /// The offered rate in requests per second (before step and burst multiples).
    public var baseRate: Double

    /// The number of requests.
    public var count: Int { offsetsNanos.count }

    /// Builds the schedule.
    ///
    /// - Parameters:
    ///   - scenario: arrival process, classes, duration and seed.
    ///   - rate: the resolved base rate, requests per second.
    ///   - poolSize: how many distinct requests there are per class (`PayloadPool.size`).
    ///   - duration: overrides the scenario's duration (sweep points).
    public init(scenario: Scenario, rate: Double, poolSize: Int, duration: Double? = nil) {
        var generator = SeededGenerator(seed: scenario.seed)
        let offsets = ArrivalSchedule.offsets(
            scenario.arrival, rate: rate, duration: duration ?? scenario.durationSeconds, generator: &generator)
        // A separate stream for the class draw, so adding a class does not move the arrivals.
        var classGenerator = SeededGenerator(seed: scenario.seed ^ 0xC1A5_5E5_0000_0001)
        let total = scenario.classes.reduce(0) { $0 + $1.share }
        var cumulative: [Double] = []
        var sum = 0.0
        for slo in scenario.classes {
            sum += slo.share / total
            cumulative.append(sum)
        }
        self.offsetsNanos = offsets.map { UInt64(($0 * 1e9).rounded()) }
        self.classIndices = offsets.indices.map { _ in
            let draw = classGenerator.nextUnit()
            return cumulative.firstIndex(where: { draw < $0 }) ?? (cumulative.count - 1)
        }
        self.payloadIndices = offsets.indices.map { $0 % max(poolSize, 1) }
        self.baseRate = rate
    }
}
