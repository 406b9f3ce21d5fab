import Foundation
import ZenithHTTP

/// Sends requests at their scheduled times from a dedicated thread, whatever happened to the
/// earlier ones (open loop: no coordinated omission).
///
/// The thread sleeps until shortly before each send time and then spins, because a sleep alone
/// overshoots by tens of microseconds and more under load; requests go to the connections
/// round-robin. The thread never waits for an answer: `LoadTransport.send` returns at once.
public struct OpenLoopSender: Sendable {
    /// Sleep only when the next send is further away than this, and wake this early (ns).
    public var spinNanos: UInt64

    /// Creates a sender.
    ///
    /// - Parameter spinMicros: how long before a send time the thread stops sleeping and spins.
    public init(spinMicros: Int = 200) {
        self.spinNanos = UInt64(max(0, spinMicros)) * 1_000
    }

    /// Sends `count` requests; request `i` leaves at `offsetsNanos[i]` after the clock's start.
    ///
    /// - Parameters:
    ///   - offsetsNanos: scheduled send times, sorted.
    ///   - request: the request for index `i` (must be cheap: pick from a pre-encoded pool).
    ///   - transport: the connections.
    ///   - clock: the run's clock.
    ///   - completion: called with the index, the connection and the result, on the transport's thread.
    /// - Returns: the actual send time of every request (ns since the clock's start).
    func run(
        offsetsNanos: [UInt64], request: @escaping @Sendable (Int) -> HTTPRequest, transport: any LoadTransport,
        clock: LoadClock,
        completion: @escaping @Sendable (_ index: Int, _ connection: Int, Result<HTTPResponse, any Error>) -> Void
    ) async -> [UInt64] {
        let spinNanos = self.spinNanos
        return await withCheckedContinuation { continuation in
            let thread = Thread {
                var sent = [UInt64](repeating: 0, count: offsetsNanos.count)
                let connections = transport.connectionCount
                for index in offsetsNanos.indices {
                    let due = offsetsNanos[index]
                    var now = clock.now()
                    if due > now + spinNanos {
                        Thread.sleep(forTimeInterval: Double(due - now - spinNanos) / 1e9)
                        now = clock.now()
                    }
                    while now < due { now = clock.now() }
                    sent[index] = now
                    let connection = index % connections
                    transport.send(request(index), on: connection) { result in
                        completion(index, connection, result)
                    }
                }
                continuation.resume(returning: sent)
            }
            thread.name = "zenith-load-sender"
            thread.start()
        }
    }
}
