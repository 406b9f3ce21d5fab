import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
import ZenithTestSupport
@testable import ZenithHTTP

/// Serves what the client tests need to check a round trip byte for byte.
///
/// - `/echo`: the request body back, with `x-method`, `x-version`, `x-host` and `x-test` (the
///   request's `x-test` field) in the response;
/// - `/bytes?n=N`: N bytes, byte i being `i % 251`;
/// - `/status?code=C`: an empty response with status C;
/// - `/delay?ms=N`: the path back after N milliseconds;
/// - `/held`: the path back once ``held`` is released;
/// - anything else: ``EchoHandler``.
struct ClientTestHandler: HTTPHandler {
    /// The most `/delay` requests running at once: concurrency shown without timing anything.
    let delays = RunningCount()
    /// Holds `/held` requests: the test waits for their arrival, then lets them answer.
    let held = RequestGate()

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let number = Int(request.query?.split(separator: "=").last ?? "") ?? 0
        switch request.pathWithoutQuery {
        case "/echo":
            return HTTPResponse(
                status: 200,
                headers: [
                    "x-method": request.method, "x-version": "\(request.version)",
                    "x-host": request.headers["host"] ?? "", "x-test": request.headers["x-test"] ?? "",
                ],
                body: request.body)
        case "/bytes":
            return HTTPResponse(status: 200, body: ClientTestHandler.pattern(count: number))
        case "/status":
            return HTTPResponse(status: number)
        case "/delay":
            delays.started()
            defer { delays.finished() }
            try? await Task.sleep(for: .milliseconds(number))
            return HTTPResponse(status: 200, body: Array(request.path.utf8))
        case "/held":
            await held.hold()
            return HTTPResponse(status: 200, body: Array(request.path.utf8))
        default:
            return await EchoHandler().handle(request)
        }
    }

    /// Byte `i` is `i % 251`. Built from whole cycles, copied: handlers run on the server's event
    /// loop, and a closure call per byte of a megabyte holds that loop for seconds in a sanitized
    /// debug build (every other connection of the suite's shared event loops waits meanwhile).
    static func pattern(count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            bytes.append(contentsOf: Self.cycle.prefix(count - bytes.count))
        }
        return bytes
    }

    private static let cycle = [UInt8](0...250)
}

/// How many calls are running, and the most that ever were.
final class RunningCount: Sendable {
    private let counts = NIOLockedValueBox((running: 0, most: 0))

    var most: Int { self.counts.withLockedValue { $0.most } }

    func started() {
        self.counts.withLockedValue {
            $0.running += 1
            $0.most = max($0.most, $0.running)
        }
    }

    func finished() { self.counts.withLockedValue { $0.running -= 1 } }
}

/// A TCP server that speaks no HTTP: it sends `greeting` to each connection, reads and drops
/// whatever arrives, and closes every connection when told. For the client's view of a server
/// that goes away mid-request.
final class ClosingServer: Sendable {
    private final class ChildHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let greeting: [UInt8]
        init(greeting: [UInt8]) { self.greeting = greeting }

        func channelActive(context: ChannelHandlerContext) {
            if !self.greeting.isEmpty {
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(bytes: self.greeting)), promise: nil)
            }
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    }

    private let channel: any Channel
    private let children: AcceptedChannels

    private init(channel: any Channel, children: AcceptedChannels) {
        self.channel = channel
        self.children = children
    }

    static func start(greeting: [UInt8] = []) async throws -> ClosingServer {
        let children = AcceptedChannels()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                children.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ChildHandler(greeting: greeting))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ClosingServer(channel: channel, children: children)
    }

    var port: Int { self.channel.localAddress!.port! }

    /// Connections accepted so far (an HTTP/1.1 client may send before the server has one).
    var acceptedCount: Int { self.children.channels.count }

    /// Closes every accepted connection.
    func closeConnections() async {
        for child in self.children.channels { try? await child.close() }
    }

    func stop() async {
        await self.closeConnections()
        try? await self.channel.close()
    }
}

/// The accepted channels of a ``ClosingServer``.
final class AcceptedChannels: Sendable {
    private let state = NIOLockedValueBox<[any Channel]>([])
    func add(_ channel: any Channel) { self.state.withLockedValue { $0.append(channel) } }
    var channels: [any Channel] { self.state.withLockedValue { $0 } }
}

/// Polls `condition` every few milliseconds until it holds or `timeout` passes, for a state no
/// event announces; the timeout only bounds a broken test.
func waitUntil(
    timeout: Duration = EventCount.generousTimeout, _ what: String, _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now > deadline { throw TestFailure("timed out waiting until \(what)") }
        try await Task.sleep(for: .milliseconds(2))
    }
}
