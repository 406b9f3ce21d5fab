public import NIOCore
import ZenithHTTP

/// Checks that the harness is not the bottleneck: `GET /v2/health/ready` open-loop at a high
/// rate, reporting the achieved send rate and the share of sends more than 1 ms behind schedule.
public struct SelfCheck: Sendable {
    /// Requests per second to send.
    public var rate: Double
    /// Seconds of sending.
    public var durationSeconds: Double
    /// Poisson (true) or evenly spaced arrivals.
    public var poisson: Bool
    /// Connection options.
    public var options: RunOptions

    /// What the check measured.
    public struct Result: Sendable, Equatable {
        /// The rate asked for.
        public var targetRate: Double
        /// Requests sent divided by the span of actual send times.
        public var achievedRate: Double
        /// Requests sent.
        public var sent: Int
        /// Answers with 200.
        public var answered: Int
        /// Share of sends more than 1 ms behind schedule (must stay under 1%).
        public var lateShare: Double
        /// Send lateness percentiles, ms.
        public var lateness: RunSummary.Percentiles
        /// Latency percentiles of the answers, ms from the scheduled time.
        public var latency: RunSummary.Percentiles

        /// Whether the harness kept up: under 1% of sends more than 1 ms late.
        public var passed: Bool { lateShare < 0.01 }
    }

    /// Creates a check.
    public init(rate: Double, durationSeconds: Double, poisson: Bool = true, options: RunOptions) {
        self.rate = rate
        self.durationSeconds = durationSeconds
        self.poisson = poisson
        self.options = options
    }

    /// Runs the check against `endpoint`.
    public func run(endpoint: Endpoint, eventLoopGroup: any EventLoopGroup) async throws -> Result {
        var generator = SeededGenerator(seed: 7)
        let offsets = ArrivalSchedule.offsets(
            poisson ? .poisson : .constant, rate: rate, duration: durationSeconds, generator: &generator
        ).map { UInt64(($0 * 1e9).rounded()) }
        let transport = try await ClientConnectionPool.connect(
            to: endpoint, count: options.connections, version: options.version, eventLoopGroup: eventLoopGroup)
        let log = CompletionLog(connections: transport.connectionCount, expected: offsets.count)
        let clock = LoadClock()
        let request = HTTPRequest(method: "GET", path: "/v2/health/ready")
        let sent = await OpenLoopSender(spinMicros: options.spinMicros).run(
            offsetsNanos: offsets, request: { _ in request }, transport: transport, clock: clock,
            completion: { index, connection, result in
                log.record(.init(index: index, completedNanos: clock.now(), result: result), connection: connection)
            })
        let giveUp = clock.now() + UInt64(options.drainSeconds * 1e9)
        while log.count < offsets.count && clock.now() < giveUp { try? await Task.sleep(for: .milliseconds(20)) }
        let entries = log.drain()
        await transport.close()

        let late = zip(sent, offsets).map { $0 >= $1 ? $0 - $1 : 0 }
        var latencies: [UInt64] = []
        var answered = 0
        for entry in entries {
            guard case .success(let response) = entry.result, response.status == 200 else { continue }
            answered += 1
            latencies.append(entry.completedNanos - min(entry.completedNanos, offsets[entry.index]))
        }
        let span = Double((sent.last ?? 0) - (sent.first ?? 0)) / 1e9
        return Result(
            targetRate: rate, achievedRate: span > 0 ? Double(max(sent.count - 1, 0)) / span : 0, sent: sent.count,
            answered: answered,
            lateShare: late.isEmpty ? 0 : Double(late.count { $0 > Sample.lateThresholdNanos }) / Double(late.count),
            lateness: RunSummary.percentiles(late), latency: RunSummary.percentiles(latencies))
    }
}
