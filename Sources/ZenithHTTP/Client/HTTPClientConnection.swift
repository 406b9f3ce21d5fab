public import NIOCore
public import NIOPosix
import NIOHTTP1

/// One client connection to an HTTP server: HTTP/2 (cleartext, prior knowledge) or HTTP/1.1.
///
/// - HTTP/2: a libnghttp2 client session driven through `nghttp2_session_mem_recv`/`mem_send`
///   from a NIO channel handler. Many requests run concurrently as streams; flow control is
///   nghttp2's. A request that would exceed the server's SETTINGS_MAX_CONCURRENT_STREAMS is not
///   sent and fails with ``HTTPClientError/tooManyStreams``. ``connect(host:port:version:eventLoopGroup:connectTimeout:)``
///   returns once the server's SETTINGS arrived, so ``maxConcurrentStreams`` is known from the start.
/// - HTTP/1.1: NIOHTTP1. Requests are **pipelined**: written at once, answered in order, with no
///   limit here on how many are outstanding (the server stops reading past its own pipelining
///   limit and TCP flow control pushes back).
///
/// The connection's state lives on one event loop and is touched only there, without locks.
/// Requests submitted from other threads hop onto the loop; requests submitted in the same loop
/// tick are written with one flush. ``inflight`` and ``maxConcurrentStreams`` are atomics that
/// may be read from anywhere.
public final class HTTPClientConnection: Sendable {
    /// The protocol this connection speaks.
    public let version: HTTPVersion
    /// The event loop the connection lives on; completions run there.
    public let eventLoop: any EventLoop
    private let channel: any Channel
    private let handler: NIOLoopBound<any HTTPClientChannelHandler>
    private let counters: HTTPClientCounters

    private init(
        version: HTTPVersion, channel: any Channel, handler: NIOLoopBound<any HTTPClientChannelHandler>,
        counters: HTTPClientCounters
    ) {
        self.version = version
        self.eventLoop = channel.eventLoop
        self.channel = channel
        self.handler = handler
        self.counters = counters
    }

    deinit {
        // A connection dropped without close() would otherwise stay open, held by its event loop;
        // a closed one may outlive its event loop group, which must not be asked for anything then.
        if self.channel.isActive { self.channel.close(promise: nil) }
    }

    /// Opens a connection.
    ///
    /// For HTTP/2 this sends the connection preface and waits for the server's SETTINGS, which
    /// must arrive within `connectTimeout` as well.
    ///
    /// - Parameters:
    ///   - host: A host name or IP address.
    ///   - port: The TCP port.
    ///   - version: ``HTTPVersion/http2`` (h2c with prior knowledge) or ``HTTPVersion/http1_1``.
    ///   - eventLoopGroup: Where the connection's event loop comes from.
    ///   - connectTimeout: The longest wait for TCP connect (plus the HTTP/2 handshake).
    /// - Throws: ``HTTPClientError/connectFailed(_:)`` with a one-line reason
    ///   (`connection refused`, `connect timed out`, `cannot resolve host ...`), or
    ///   ``HTTPClientError/protocolError(_:)`` if the peer does not speak HTTP/2.
    public static func connect(
        host: String, port: Int, version: HTTPVersion = .http2,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectTimeout: Duration = .seconds(5)
    ) async throws(HTTPClientError) -> HTTPClientConnection {
        let counters = HTTPClientCounters()
        let authority = Self.authority(host: host, port: port)
        let timeout = TimeAmount(connectTimeout)
        let start = NIODeadline.now()
        do {
            let (channel, handler, ready) = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(timeout)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        () throws -> (any Channel, NIOLoopBound<any HTTPClientChannelHandler>, EventLoopFuture<Void>?) in
                        let handler: any HTTPClientChannelHandler
                        var ready: EventLoopFuture<Void>? = nil
                        switch version {
                        case .http2:
                            let session: NGHTTP2ClientSession
                            do {
                                session = try NGHTTP2ClientSession(defaultAuthority: authority)
                            } catch let error as NGHTTP2Error {
                                throw HTTPClientError.protocolError("cannot create the HTTP/2 session: \(error.message)")
                            }
                            let promise = channel.eventLoop.makePromise(of: Void.self)
                            ready = promise.futureResult
                            let remaining = max(timeout - (NIODeadline.now() - start), .milliseconds(1))
                            let http2 = HTTP2ClientHandler(
                                session: session, counters: counters, ready: promise, handshakeTimeout: remaining)
                            try channel.pipeline.syncOperations.addHandler(http2)
                            handler = http2
                        case .http1_1:
                            try channel.pipeline.syncOperations.addHTTPClientHandlers()
                            let http1 = HTTP1ClientHandler(counters: counters, defaultHost: authority)
                            try channel.pipeline.syncOperations.addHandler(http1)
                            handler = http1
                        }
                        return (channel, NIOLoopBound(handler, eventLoop: channel.eventLoop), ready)
                    }
                }
            if let ready {
                do {
                    try await ready.get()
                } catch {
                    channel.close(promise: nil)
                    throw error
                }
            }
            return HTTPClientConnection(version: version, channel: channel, handler: handler, counters: counters)
        } catch {
            throw HTTPClientError.connectFailed(from: error)
        }
    }

    /// The `host` / `:authority` value for `host:port` (IPv6 literals in brackets).
    static func authority(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Sends `request` and waits for the complete response.
    ///
    /// `host` (HTTP/1.1) or `:authority` (HTTP/2) comes from the request's `host` field or else
    /// from the connected host and port; `content-length` is set from the body (and to 0 for a
    /// bodiless POST, PUT or PATCH). Fields a protocol forbids (`connection` in HTTP/2, ...) or
    /// that hold CR, LF or NUL are left out.
    ///
    /// - Parameters:
    ///   - request: The request; its `version` and `remoteAddress` are ignored.
    ///   - timeout: The longest wait for the complete response; `nil` waits as long as the
    ///     connection lives. On expiry an HTTP/2 stream is reset with CANCEL; an HTTP/1.1 response
    ///     is still read, and dropped, when it comes.
    /// - Throws: ``HTTPClientError``.
    public func execute(_ request: HTTPRequest, timeout: Duration? = nil) async throws(HTTPClientError) -> HTTPResponse {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>) in
            self.execute(request, timeout: timeout) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Sends `request` and calls `completion` with the outcome, without a task per request: for
    /// open-loop load generation.
    ///
    /// Callable from any thread; a call from another thread hops onto the connection's event loop.
    /// `completion` runs exactly once, on that loop; when the request is refused without being
    /// sent (``HTTPClientError/tooManyStreams``, a closed connection) it runs before this method
    /// returns if called on the loop. Keep it short: the loop serves every request of the connection.
    ///
    /// - Parameters:
    ///   - request: As for ``execute(_:timeout:)``.
    ///   - timeout: As for ``execute(_:timeout:)``.
    ///   - completion: Receives the response or the error.
    public func execute(
        _ request: HTTPRequest, timeout: Duration? = nil,
        completion: @escaping @Sendable (Result<HTTPResponse, HTTPClientError>) -> Void
    ) {
        let timeAmount = timeout.map(TimeAmount.init)
        if self.eventLoop.inEventLoop {
            self.handler.value.submit(request, timeout: timeAmount, completion: completion)
        } else {
            let handler = self.handler
            self.eventLoop.execute { handler.value.submit(request, timeout: timeAmount, completion: completion) }
        }
    }

    /// Streams currently open (HTTP/2) or requests outstanding (HTTP/1.1).
    public var inflight: Int { self.counters.inflight.load(ordering: .relaxed) }

    /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS (HTTP/2), once known; `nil` for HTTP/1.1.
    /// A server that sets no limit reports `UInt32.max`.
    public var maxConcurrentStreams: Int? {
        let value = self.counters.maxConcurrentStreams.load(ordering: .relaxed)
        return value < 0 ? nil : value
    }

    /// Sends GOAWAY (HTTP/2) and closes; outstanding requests fail with
    /// ``HTTPClientError/connectionClosed``. Returns once the connection is closed.
    public func close() async {
        let handler = self.handler
        self.eventLoop.execute { handler.value.closeConnection() }
        try? await self.channel.closeFuture.get()
    }
}
