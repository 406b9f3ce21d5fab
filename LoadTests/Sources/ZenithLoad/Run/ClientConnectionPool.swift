public import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
import Synchronization
public import ZenithHTTP

/// A `LoadTransport` over ZenithHTTP's client: several HTTP/2 connections (many concurrent
/// streams each) or HTTP/1.1 connections (pipelined).
///
/// An HTTP/2 connection refuses more streams than the server's MAX_CONCURRENT_STREAMS. When the
/// chosen connection is full the request goes to the next one with room; when all are full it
/// waits in a local queue and leaves as soon as any stream ends, as a real client's would. The
/// wait counts in its latency (measured from the scheduled time), so an overloaded server is
/// still charged for it; `queuedLocally` says how often it happened.
public final class ClientConnectionPool: LoadTransport {
    private typealias Completion = @Sendable (Result<HTTPResponse, any Error>) -> Void

    private let connections: [HTTPClientConnection]
    /// Streams this pool has started and not yet seen end, per connection. Counted here, when a
    /// request is handed over, because the connection's own `inflight` only moves once its event
    /// loop has taken the request: a burst would otherwise overshoot the stream limit.
    private let outstanding: [StreamCount]
    private let overflow = NIOLockedValueBox<(items: [(HTTPRequest, Completion)], head: Int)>(([], 0))
    private let overflowed = Atomic<Int>(0)
    private let draining = Atomic<Bool>(false)
    private let drainAgain = Atomic<Bool>(false)

    /// The protocol the connections speak.
    public let version: HTTPVersion

    public var connectionCount: Int { connections.count }

    private init(connections: [HTTPClientConnection], version: HTTPVersion) {
        self.connections = connections
        self.outstanding = connections.map { _ in StreamCount() }
        self.version = version
    }

    /// Opens `count` connections to `endpoint`.
    ///
    /// - Parameters:
    ///   - endpoint: host and port.
    ///   - count: connections, at least one.
    ///   - version: `.http2` (h2c prior knowledge) or `.http1_1`.
    ///   - eventLoopGroup: where the connections run; its loops are used round-robin.
    public static func connect(
        to endpoint: Endpoint, count: Int, version: HTTPVersion, eventLoopGroup: any EventLoopGroup
    ) async throws -> ClientConnectionPool {
        var connections: [HTTPClientConnection] = []
        do {
            for _ in 0..<max(1, count) {
                // One loop per connection, chosen round-robin, so completions spread over the loops.
                connections.append(
                    try await HTTPClientConnection.connect(
                        host: endpoint.host, port: endpoint.port, version: version,
                        eventLoopGroup: eventLoopGroup.next()))
            }
        } catch {
            for connection in connections { await connection.close() }
            throw error
        }
        return ClientConnectionPool(connections: connections, version: version)
    }

    public func send(
        _ request: HTTPRequest, on connection: Int,
        completion: @escaping @Sendable (Result<HTTPResponse, any Error>) -> Void
    ) {
        if let index = reserve(preferring: connection) {
            launch(request, on: index, completion: completion)
            return
        }
        overflowed.add(1, ordering: .relaxed)
        overflow.withLockedValue { $0.items.append((request, completion)) }
        // A stream may have ended between the check and the append: nothing else would wake the queue.
        drainOverflow()
    }

    public func close() async {
        for connection in connections { await connection.close() }
    }

    /// Requests outstanding over all connections.
    public var inflight: Int { connections.reduce(0) { $0 + $1.inflight } }

    /// Requests that had to wait locally because every connection was at its stream limit.
    public var queuedLocally: Int { overflowed.load(ordering: .relaxed) }

    /// Takes a stream on the first connection with room from `preferred` on.
    private func reserve(preferring preferred: Int) -> Int? {
        let count = connections.count
        for step in 0..<count {
            let index = (preferred + step) % count
            if outstanding[index].reserve(limit: connections[index].maxConcurrentStreams ?? .max) { return index }
        }
        return nil
    }

    private func launch(_ request: HTTPRequest, on index: Int, completion: @escaping Completion) {
        connections[index].execute(request) { [self] result in
            outstanding[index].release()
            completion(result.mapError { $0 })
            drainOverflow()
        }
    }

    /// Starts queued requests while some connection has room. Never re-entered: a failure the
    /// client reports synchronously would otherwise recurse once per queued request; a call
    /// that finds a drain under way asks it for another pass instead.
    private func drainOverflow() {
        guard !draining.exchange(true, ordering: .acquiring) else {
            drainAgain.store(true, ordering: .releasing)
            return
        }
        repeat {
            drainAgain.store(false, ordering: .relaxed)
            while let index = reserve(preferring: 0) {
                let next: (HTTPRequest, Completion)? = overflow.withLockedValue { queue in
                    guard queue.head < queue.items.count else { return nil }
                    let item = queue.items[queue.head]
                    queue.head += 1
                    // Compact now and then so the array does not grow for the whole run.
                    if queue.head > 1024 && queue.head * 2 > queue.items.count {
                        queue.items.removeFirst(queue.head)
                        queue.head = 0
                    }
                    return item
                }
                guard let (request, completion) = next else {
                    outstanding[index].release()
                    break
                }
                launch(request, on: index, completion: completion)
            }
            draining.store(false, ordering: .releasing)
        } while drainAgain.load(ordering: .acquiring) && !draining.exchange(true, ordering: .acquiring)
    }
}

/// One connection's count of streams the pool has started.
private final class StreamCount: Sendable {
    private let value = Atomic<Int>(0)

    /// Takes a stream if fewer than `limit` are taken.
    func reserve(limit: Int) -> Bool {
        var current = value.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = value.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func release() {
        value.subtract(1, ordering: .relaxed)
    }
}
