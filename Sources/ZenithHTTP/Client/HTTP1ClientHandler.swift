import NIOCore
import NIOHTTP1

/// Drives one HTTP/1.1 client connection on top of NIOHTTP1's request encoder and response decoder.
///
/// Requests are **pipelined**: each is written as soon as it is submitted (flushed once per loop
/// tick or read burst) without waiting for earlier responses, and responses are matched to
/// requests in order. A request that times out is answered with ``HTTPClientError/timedOut`` at
/// once but keeps its place in the queue, so the late response is read and dropped and the
/// connection stays usable. A response with `connection: close` ends the connection; requests
/// pipelined behind it fail with ``HTTPClientError/connectionClosed`` (they may not be retried
/// blindly: the server never said it did not process them).
final class HTTP1ClientHandler: ChannelInboundHandler, HTTPClientChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// One request written (or about to be) and not yet answered.
    private struct Pending {
        /// `nil` once answered early (timed out): the response is read and dropped.
        var completion: HTTPClientCompletion?
        var timeout: Scheduled<Void>?
    }

    private let counters: HTTPClientCounters
    private let defaultHost: String
    private var context: ChannelHandlerContext?
    /// Requests in the order they were written; the head is the one being answered.
    private var pending = CircularBuffer<Pending>(initialCapacity: 16)
    /// The sequence number of `pending.first`, so a timer finds its request in O(1).
    private var firstSequence: UInt64 = 0
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var isReading = false
    private var flushScheduled = false
    private var isClosing = false
    private var isClosed = false
    private var closeReason = HTTPClientError.connectionClosed

    init(counters: HTTPClientCounters, defaultHost: String) {
        self.counters = counters
        self.defaultHost = defaultHost
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Requests

    func submit(_ request: HTTPRequest, timeout: TimeAmount?, completion: @escaping HTTPClientCompletion) {
        guard !self.isClosing, let context = self.context else {
            completion(.failure(.connectionClosed))
            return
        }
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count + 2)
        headers.add(name: "host", value: request.headers["host"] ?? self.defaultHost)
        for field in request.headers where Self.isSendable(field) {
            headers.add(name: field.name, value: field.value)
        }
        if !request.body.isEmpty || NGHTTP2ClientSession.expectsBody(request.method) {
            headers.add(name: "content-length", value: String(request.body.count))
        }
        let head = HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: request.method),
            uri: request.path.isEmpty ? "/" : request.path, headers: headers)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        if !request.body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: request.body.count)
            buffer.writeBytes(request.body)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        context.write(self.wrapOutboundOut(.end(nil)), promise: nil)

        var entry = Pending(completion: completion)
        if let timeout {
            let sequence = self.firstSequence + UInt64(self.pending.count)
            entry.timeout = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                self.timeOut(sequence: sequence)
            }
        }
        self.pending.append(entry)
        self.counters.inflight.store(self.pending.count, ordering: .relaxed)
        if !self.isReading { self.scheduleFlush(context: context) }
    }

    private func timeOut(sequence: UInt64) {
        guard sequence >= self.firstSequence else { return }
        let offset = Int(sequence - self.firstSequence)
        guard offset < self.pending.count else { return }
        let index = self.pending.index(self.pending.startIndex, offsetBy: offset)
        guard let completion = self.pending[index].completion else { return }
        self.pending[index].completion = nil
        completion(.failure(.timedOut))
    }

    func closeConnection() {
        guard !self.isClosing, let context = self.context else { return }
        self.isClosing = true
        context.close(promise: nil)
    }

    /// Fields that may travel as given: not `host` and `content-length`, which are set here, not
    /// the framing fields the encoder owns, and nothing a CR, LF or NUL would corrupt.
    static func isSendable(_ field: HTTPHeaderList.Field) -> Bool {
        switch field.name {
        case "host", "content-length", "transfer-encoding", "upgrade":
            return false
        default:
            return field.isWellFormed
        }
    }

    // MARK: Responses

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.isReading = true
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body.removeAll(keepingCapacity: true)
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > 0 {
                self.body.reserveCapacity(min(length, 16 << 20))
            }
        case .body(let buffer):
            self.body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head = self.head, let entry = self.pending.popFirst() else {
                // A response nobody asked for: the stream is out of step.
                self.fail(context: context, reason: .protocolError("unsolicited HTTP/1.1 response"))
                return
            }
            self.head = nil
            self.firstSequence += 1
            self.counters.inflight.store(self.pending.count, ordering: .relaxed)
            entry.timeout?.cancel()
            let keepAlive = head.isKeepAlive
            if let completion = entry.completion {
                var headers = HTTPHeaderList()
                headers.reserveCapacity(head.headers.count)
                for (name, value) in head.headers { headers.append(name: name, value: value) }
                let response = HTTPResponse(status: Int(head.status.code), headers: headers, body: self.body)
                self.body = []
                completion(.success(response))
            }
            if !keepAlive {
                self.isClosing = true
                context.close(promise: nil)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.isReading = false
        // Requests submitted by completions during the burst go out now, in one flush.
        if !self.isClosed { context.flush() }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.isClosed = true
        self.isClosing = true
        let reason = self.closeReason
        let abandoned = self.pending
        self.pending.removeAll()
        // Counted down before the callers hear of it, so they never see a stale figure.
        self.counters.inflight.store(0, ordering: .relaxed)
        for entry in abandoned {
            entry.timeout?.cancel()
            entry.completion?(.failure(reason))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            self.fail(context: context, reason: .protocolError("malformed HTTP/1.1 response: \(error)"))
        } else {
            context.close(promise: nil)
        }
    }

    private func fail(context: ChannelHandlerContext, reason: HTTPClientError) {
        self.closeReason = reason
        self.isClosing = true
        context.close(promise: nil)
    }

    // MARK: Output

    /// Coalesces the requests submitted in one loop tick into one flush.
    private func scheduleFlush(context: ChannelHandlerContext) {
        guard !self.flushScheduled else { return }
        self.flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            if let context = self.context, !self.isClosed { context.flush() }
        }
    }
}
