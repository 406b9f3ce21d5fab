import ArgumentParser
import Foundation
import NIOPosix
import ZenithLoad

/// `zenith-load selfcheck`: shows the harness is not the bottleneck.
struct SelfCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selfcheck",
        abstract: "Drive GET /v2/health/ready open-loop at ≥ 5× the dense infer capacity; report the achieved rate and late sends.")

    @Option(help: "Requests per second (default: --capacity-multiple × --capacity).")
    var rate: Double?

    @Option(help: "The dense infer capacity, req/s (from `zenith-load capacity`).")
    var capacity: Double?

    @Option(help: "Multiple of --capacity to send at.")
    var capacityMultiple = 5.0

    @Option(help: "Seconds of sending.")
    var duration = 10.0

    @Flag(help: "Evenly spaced sends instead of Poisson.")
    var constant = false

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard rate != nil || capacity != nil else { throw ValidationError("give --rate or --capacity") }
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
    }

    func run() async throws {
        let rate = self.rate ?? capacityMultiple * capacity!
        let group = MultiThreadedEventLoopGroup(numberOfThreads: connection.clientThreads)
        let (endpoint, process) = try await connection.denseServer(logPath: "/tmp/zenith-load-selfcheck.log")
        let check = SelfCheck(rate: rate, durationSeconds: duration, poisson: !constant, options: try connection.runOptions())
        let result = try await check.run(endpoint: endpoint, eventLoopGroup: group)
        await process?.stop()
        try await group.shutdownGracefully()
        func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
        print("selfcheck: GET /v2/health/ready, \(constant ? "constant" : "Poisson") at \(f(rate, 0)) req/s for \(f(duration, 0)) s over \(connection.connections) \(connection.http) connections")
        print("  achieved send rate \(f(result.achievedRate, 0)) req/s (\(result.sent) sent, \(result.answered) answered 200)")
        print("  late sends (> 1 ms behind schedule): \(f(result.lateShare * 100, 3))%  (lateness p50 \(f(result.lateness.p50, 3)) ms, p99 \(f(result.lateness.p99, 3)) ms, max \(f(result.lateness.max, 3)) ms)")
        print("  answer latency from schedule: p50 \(f(result.latency.p50)) ms, p99 \(f(result.latency.p99)) ms")
        print(result.passed ? "  PASS: under 1% late" : "  FAIL: 1% or more of the sends were late")
        if !result.passed { throw ExitCode(1) }
    }
}
