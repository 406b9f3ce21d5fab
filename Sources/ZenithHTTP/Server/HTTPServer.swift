public import Logging
package import NIOCore
import NIOPosix
public import ServiceLifecycle
import NIOConcurrencyHelpers

/// Zenith's transport: HTTP/1.1 and cleartext HTTP/2 (prior knowledge) on one port.
///
/// Each connection's protocol is chosen from its first bytes (the HTTP/2 preface or not). HTTP/1.1
/// is parsed by NIOHTTP1, HTTP/2 framing, HPACK and flow control are libnghttp2's. An HTTP/1.1
/// request carrying `Upgrade: h2c` switches its connection to HTTP/2 (the request itself, reported
/// as ``HTTPVersion/http1_1``, is answered on stream 1). Every complete
/// request goes to the ``HTTPHandler``; the limits in ``HTTPServerConfiguration`` are enforced
/// before memory is spent on a request.
///
/// `run()` serves until graceful shutdown (from a `ServiceGroup`, ``triggerGracefulShutdown()``
/// or task cancellation): it stops accepting, lets in-flight requests finish and be answered
/// (HTTP/2 connections get GOAWAY, HTTP/1.1 ones `Connection: close`), then returns once every
/// connection has closed.
public final class HTTPServer: Service, Sendable {
    public let configuration: HTTPServerConfiguration
    private let handler: any HTTPHandler
    private let logger: Logger
    /// NIO's lock, not `Mutex`: the server's start and callers of `listeningPort()` on other threads
    /// contend for it, and ThreadSanitizer misreads a contended `Mutex` (docs/SANITIZERS.md).
    private let state = NIOLockedValueBox(State.idle(waiters: []))
    /// Request bodies still arriving, over all connections (`maxProcessBodyBytes`).
    private let bodyBudget: RequestBodyBudget

    private enum State {
        case idle(waiters: [CheckedContinuation<Int, any Error>])
        case listening(port: Int, shutdown: @Sendable () -> Void)
        /// Shutdown was asked for before the server was listening.
        case shutdownRequested(waiters: [CheckedContinuation<Int, any Error>])
        case finished
    }

    /// An error from ``listeningPort()`` when the server stopped or never listened.
    public struct NotListeningError: Error, CustomStringConvertible {
        public var description: String { "the HTTP server is not listening" }
    }

    /// Creates a server; nothing is bound until ``run()``.
    ///
    /// - Parameters:
    ///   - configuration: Address, port and limits.
    ///   - handler: Answers every request.
    ///   - logger: Receives one debug line per request and errors.
    public init(configuration: HTTPServerConfiguration = .init(), handler: some HTTPHandler, logger: Logger) {
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        self.bodyBudget = RequestBodyBudget(limit: configuration.maxProcessBodyBytes)
    }

    /// The bound port once listening (useful with port 0), else `nil`.
    public var localPort: Int? {
        get async {
            self.state.withLockedValue { state in
                if case .listening(let port, _) = state { return port }
                return nil
            }
        }
    }

    /// Waits until the server listens and returns its port; throws ``NotListeningError`` if it
    /// stopped or failed to bind.
    public func listeningPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let result: Result<Int, any Error>? = self.state.withLockedValue { state in
                switch state {
                case .idle(var waiters):
                    waiters.append(continuation)
                    state = .idle(waiters: waiters)
                    return nil
                case .shutdownRequested(var waiters):
                    waiters.append(continuation)
                    state = .shutdownRequested(waiters: waiters)
                    return nil
                case .listening(let port, _):
                    return .success(port)
                case .finished:
                    return .failure(NotListeningError())
                }
            }
            if let result { continuation.resume(with: result) }
        }
    }

    /// Starts graceful shutdown, as a `ServiceGroup` would.
    public func triggerGracefulShutdown() {
        let shutdown: (@Sendable () -> Void)? = self.state.withLockedValue { state in
            switch state {
            case .idle(let waiters):
                state = .shutdownRequested(waiters: waiters)
                return nil
            case .listening(_, let shutdown):
                return shutdown
            case .shutdownRequested, .finished:
                return nil
            }
        }
        shutdown?()
    }

    /// Binds, serves until graceful shutdown or cancellation, and returns once every connection
    /// has closed.
    public func run() async throws {
        if let threads = self.configuration.eventLoopThreads {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            do {
                try await self.run(on: group)
            } catch {
                try? await group.shutdownGracefully()
                throw error
            }
            try await group.shutdownGracefully()
        } else {
            try await self.run(on: .singleton)
        }
    }

    private func run(on group: MultiThreadedEventLoopGroup) async throws {
        let serverLoop = group.next()
        let maxConnections = self.configuration.maxConnections
        let perClient = self.configuration.maxConnectionsPerClient
        let (acceptHandler, shutdownCompleted) = try await serverLoop.submit {
            let handler = ConnectionAcceptHandler(
                maxConnections: maxConnections, maxConnectionsPerClient: perClient, eventLoop: serverLoop)
            return (NIOLoopBound(handler, eventLoop: serverLoop), handler.shutdownCompleted.futureResult)
        }.get()

        let channel: any Channel
        do {
            channel = try await self.makeBootstrap(group: group, serverLoop: serverLoop, acceptHandler: acceptHandler)
                .bind(host: self.configuration.host, port: self.configuration.port).get()
        } catch {
            self.logger.error(
                "HTTP server cannot bind",
                metadata: ["host": "\(self.configuration.host)", "port": "\(self.configuration.port)", "error": "\(error)"])
            // Completes the never-used shutdown promise (nothing is open).
            try? await serverLoop.submit { acceptHandler.value.beginShutdown() }.get()
            self.finish(with: .failure(error))
            throw error
        }
        let port = channel.localAddress?.port ?? self.configuration.port
        self.logger.info("HTTP server listening", metadata: ["host": "\(self.configuration.host)", "port": "\(port)"])

        let shutdown: @Sendable () -> Void = {
            serverLoop.execute {
                // Stop accepting first, then let the open connections finish.
                channel.close(promise: nil)
                acceptHandler.value.beginShutdown()
            }
        }
        let (waiters, shutdownEarly): ([CheckedContinuation<Int, any Error>], Bool) = self.state.withLockedValue { state in
            switch state {
            case .idle(let waiters):
                state = .listening(port: port, shutdown: shutdown)
                return (waiters, false)
            case .shutdownRequested(let waiters):
                state = .listening(port: port, shutdown: shutdown)
                return (waiters, true)
            case .listening, .finished:
                return ([], false)
            }
        }
        for waiter in waiters { waiter.resume(returning: port) }
        if shutdownEarly { shutdown() }
        // However the listening socket ends, drain the connections so `run()` can return.
        channel.closeFuture.whenComplete { _ in shutdown() }

        await withTaskCancellationOrGracefulShutdownHandler {
            try? await shutdownCompleted.get()
            try? await channel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            shutdown()
        }
        self.logger.info("HTTP server stopped", metadata: ["port": "\(port)"])
        self.finish(with: .failure(NotListeningError()))
    }

    private func finish(with result: Result<Int, any Error>) {
        let waiters: [CheckedContinuation<Int, any Error>] = self.state.withLockedValue { state in
            defer { state = .finished }
            switch state {
            case .idle(let waiters), .shutdownRequested(let waiters): return waiters
            case .listening, .finished: return []
            }
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    private func makeBootstrap(
        group: MultiThreadedEventLoopGroup, serverLoop: any EventLoop,
        acceptHandler: NIOLoopBound<ConnectionAcceptHandler>
    ) -> ServerBootstrap {
        let configuration = self.configuration
        let handler = self.handler
        let logger = self.logger
        let bodyBudget = self.bodyBudget
        let idleTimeout = TimeAmount.nanoseconds(
            configuration.idleTimeout.components.seconds * 1_000_000_000
                + configuration.idleTimeout.components.attoseconds / 1_000_000_000)
        return ServerBootstrap(group: serverLoop, childGroup: group)
            // A burst of connects (thousands of idle or hostile clients at once) must wait in the
            // kernel rather than be dropped while the tracker sheds them: a dropped SYN costs an
            // ordinary client 1, 3, 7 s of retransmission. The kernel caps it at somaxconn.
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(acceptHandler.value)
                }
            }
            // At the TCP level: `.socketOption(.tcp_nodelay)` would set SO_DEBUG (1 at
            // SOL_SOCKET), which only a privileged process may, so a server running as an
            // ordinary user (as the container's does) would fail every connection's setup.
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            // The kernel keeps at most this much of a connection's output unsent; past it the
            // socket is not writable and the connection stops being read (HTTP/1.1 and HTTP/2
            // hold reads while output cannot leave). Without it the send buffer autotunes to
            // megabytes, and a client that pipelines cheap requests without reading gets that
            // many answers computed (seconds of a core) before back-pressure sets in.
            .childChannelOption(
                ChannelOptions.tcpOption(.init(rawValue: Self.tcpNotSentLowWatermark)), value: 64 * 1024)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let remoteAddress = channel.remoteAddress.flatMap { address -> String? in
                        guard let ip = address.ipAddress, let port = address.port else { return nil }
                        return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
                    }
                    try channel.pipeline.syncOperations.addHandlers(
                        IdleStateHandler(allTimeout: idleTimeout),
                        Self.connectionHandler(
                            configuration: configuration, handler: handler, bodyBudget: bodyBudget,
                            remoteAddress: remoteAddress, eventLoop: channel.eventLoop, logger: logger))
                }
            }
    }
}

extension HTTPServer {
    /// `TCP_NOTSENT_LOWAT` (linux/tcp.h), which Glibc's module does not name.
    static let tcpNotSentLowWatermark: CInt = 25

    /// The first handler of an accepted connection: it picks HTTP/1.1 or HTTP/2 from the first
    /// bytes and installs that protocol's handlers, which hand complete requests to `handler`.
    ///
    /// `run()` puts it behind an idle timeout on every socket; the fuzz target drives it on an
    /// in-memory channel, so that it tests the same pipeline a client reaches.
    package static func connectionHandler(
        configuration: HTTPServerConfiguration, handler: any HTTPHandler, bodyBudget: RequestBodyBudget,
        remoteAddress: String?, eventLoop: any EventLoop, logger: Logger
    ) -> any ChannelHandler {
        let connection = ConnectionContext(
            configuration: configuration,
            runner: HandlerRunner(handler: handler, executor: EventLoopTaskExecutor(eventLoop: eventLoop), logger: logger),
            remoteAddress: remoteAddress, logger: logger, bodyBudget: bodyBudget)
        return ProtocolSniffingHandler(connection: connection)
    }
}
