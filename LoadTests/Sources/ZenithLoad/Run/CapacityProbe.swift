import Foundation
import Synchronization
public import ZenithHTTP

/// Measures the dense capacity: closed loop with a fixed number of requests outstanding (each
/// answer sends the next), counting answers per second after a warm-up.
///
/// Against `zenith serve --dense-only` this is the largest throughput with control off: the
/// queue never runs dry, so the executors never idle, and the outstanding count is bounded, so
/// the queue never overflows.
public struct CapacityProbe: Sendable {
    /// Requests kept outstanding over all connections.
    public var concurrency: Int
    /// Seconds counted.
    public var durationSeconds: Double
    /// Seconds before counting starts (connections, caches, the latency model settle).
    public var warmupSeconds: Double

    /// Creates a probe.
    public init(concurrency: Int = 256, durationSeconds: Double = 10, warmupSeconds: Double = 2) {
        self.concurrency = concurrency
        self.durationSeconds = durationSeconds
        self.warmupSeconds = warmupSeconds
    }

    /// Runs the probe.
    ///
    /// - Parameters:
    ///   - transport: the connections (the outstanding requests are spread over them).
    ///   - requests: bodies to cycle through.
    ///   - imagesPerRequest: images each body carries (recorded with the result: a capacity in
    ///     requests per second holds only for requests of that size).
    /// - Returns: the measured throughput and what it is made of.
    public func measure(
        transport: any LoadTransport, requests: [HTTPRequest], imagesPerRequest: Int = 1
    ) async -> CapacityResult {
        let state = ProbeState()
        let clock = LoadClock()
        let countFrom = UInt64(warmupSeconds * 1e9)
        let stopAt = UInt64((warmupSeconds + durationSeconds) * 1e9)
        let connections = transport.connectionCount
        // A slot sends, and on the answer sends again until time is up.
        @Sendable func loop(slot: Int) {
            let index = state.nextIndex()
            transport.send(requests[index % requests.count], on: slot % connections) { result in
                let now = clock.now()
                let ok = (try? result.get()).map { InferenceOutcome.succeeded($0) } ?? false
                if now >= countFrom && now < stopAt { state.count(ok: ok) }
                if now < stopAt { loop(slot: slot) } else { state.slotDone() }
            }
        }
        for slot in 0..<concurrency { loop(slot: slot) }
        try? await Task.sleep(until: clock.instant(atNanos: stopAt), clock: .continuous)
        // Let the last round come back, so that the next run starts on an idle server.
        let giveUp = clock.now() + 10_000_000_000
        while state.finishedSlots < concurrency && clock.now() < giveUp {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let (ok, failed) = state.counts
        return CapacityResult(
            requestsPerSecond: Double(ok) / durationSeconds, answered: ok, failed: failed, concurrency: concurrency,
            connections: connections, durationSeconds: durationSeconds, warmupSeconds: warmupSeconds,
            imagesPerRequest: imagesPerRequest)
    }
}

/// Counters shared by the probe's completion handlers.
private final class ProbeState: Sendable {
    private let ok = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let next = Atomic<Int>(0)

    func nextIndex() -> Int { next.add(1, ordering: .relaxed).oldValue }

    func count(ok success: Bool) {
        if success { ok.add(1, ordering: .relaxed) } else { failed.add(1, ordering: .relaxed) }
    }

    func slotDone() { finished.add(1, ordering: .relaxed) }

    var finishedSlots: Int { finished.load(ordering: .relaxed) }
    var counts: (Int, Int) { (ok.load(ordering: .relaxed), failed.load(ordering: .relaxed)) }
}
