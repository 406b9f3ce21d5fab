import Dispatch
import Logging
import NIOCore
import NIOHTTP1

/// Serves one HTTP/1.1 connection: collects each request (head and body) from `HTTPRequestDecoder`,
/// calls the handler, and writes responses in request order.
///
/// The protocol decisions live in ``HTTP1ConnectionStateMachine``; this type carries them out.
final class HTTP1ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler, ResponseSink {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The request being read.
    private struct PartialRequest {
        var method: String
        var path: String
        var headers: HTTPHeaderList
        var body: [UInt8]
        /// The decoded `HTTP2-Settings` of a request asking to switch to h2c.
        var upgradeSettings: [UInt8]?
        /// When its head was complete.
        var receivedNanos: UInt64
    }

    private var state: HTTP1ConnectionStateMachine
    private var partial: PartialRequest?
    private let connection: ConnectionContext
    private var runner: HandlerRunner { self.connection.runner }
    private var remoteAddress: String? { self.connection.remoteAddress }
    private var logger: Logger { self.connection.logger }
    private var context: ChannelHandlerContext?
    private var lingering = false
    /// The connection is switching to HTTP/2; this handler is on its way out.
    private var upgrading = false
    private let running = RunningRequests()
    /// Reading stopped because answers cannot leave (see `read`).
    private var readHeldForWrites = false
    /// Bytes of the partial request's body reserved in the server's body budget.
    private var reservedBodyBytes = 0
    /// Responses are written as they are ready but flushed once per event loop tick (`scheduleFlush`).
    private var isFlushScheduled = false

    init(limits: HTTP1ConnectionStateMachine.Limits, connection: ConnectionContext) {
        self.state = HTTP1ConnectionStateMachine(limits: limits)
        self.connection = connection
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.releaseBody()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        self.running.abandonAll()
        self.releaseBody()
        context.fireChannelInactive()
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if self.lingering || self.upgrading { return }
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.receivedHead(head, context: context)
        case .body(let buffer):
            var action = self.state.receivedBody(count: buffer.readableBytes)
            if case .append = action {
                if self.connection.bodyBudget.reserve(buffer.readableBytes) {
                    self.reservedBodyBytes += buffer.readableBytes
                } else {
                    action = self.state.refuseBody(.serverBodiesTooLarge(limit: self.connection.bodyBudget.limit))
                }
            }
            switch action {
            case .append:
                self.partial?.body.append(contentsOf: buffer.readableBytesView)
            case .reject(let flush):
                self.partial = nil
                self.releaseBody()
                self.perform(flush, context: context)
            case .ignore:
                break
            }
        case .end:
            context.triggerUserOutboundEvent(RequestDeadlineHandler.RequestRead(), promise: nil)
            switch self.state.receivedEnd() {
            case .dispatch(let id):
                guard let partial = self.partial.take() else { return }
                // Handed to the handler: no longer a body still arriving.
                self.releaseBody()
                let request = HTTPRequest(
                    method: partial.method, path: partial.path, headers: partial.headers, body: partial.body,
                    version: .http1_1, remoteAddress: self.remoteAddress, receivedNanos: partial.receivedNanos)
                if let settings = partial.upgradeSettings {
                    self.upgradeToHTTP2(request, settings: settings, id: id, context: context)
                } else {
                    self.running.start(id: id) { self.runner.start(request, id: id, sink: self) }
                }
            case .ignore:
                break
            }
        }
    }

    private func receivedHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let receivedNanos = DispatchTime.now().uptimeNanoseconds
        // The decoder stops parsing after a request asking to upgrade (h2c is not served that
        // way), so such a connection ends with its response.
        let info = HTTP1ConnectionStateMachine.RequestInfo(
            keepAlive: head.isKeepAlive && !head.headers.contains(name: "upgrade"), isHead: head.method == .HEAD,
            isHTTP10: head.version.major == 1 && head.version.minor == 0)
        var headers = HTTPHeaderList()
        headers.reserveCapacity(head.headers.count)
        var contentLength: Int?
        var expectsContinue = false
        var transferEncodings: [String] = []
        var hosts = 0
        for (name, value) in head.headers {
            let field = HTTPHeaderList.Field(name: name, value: value)
            switch field.name {
            case "content-length": contentLength = Int(value)
            case "expect": expectsContinue = !info.isHTTP10 && HTTPHeaderList.lowercased(value) == "100-continue"
            case "transfer-encoding": transferEncodings.append(value)
            case "host": hosts += 1
            default: break
            }
            headers.append(lowercasedName: field.name, value: field.value)
        }
        if let rejection = Self.framingRejection(
            transferEncodings: transferEncodings, hosts: hosts, isHTTP11: head.version.minor >= 1)
        {
            self.logger.debug("HTTP/1.1 request rejected", metadata: ["status": "\(rejection.status)"])
            self.partial = nil
            self.releaseBody()
            self.perform(self.state.protocolError(rejection), context: context)
            return
        }
        switch self.state.receivedHead(info, contentLength: contentLength, expectsContinue: expectsContinue) {
        case .receiveBody(let sendContinue):
            var body: [UInt8] = []
            // Reserve for a declared length, but not so much that a slow client pins memory.
            if let contentLength, contentLength > 0 { body.reserveCapacity(min(contentLength, 1 << 20)) }
            // Switch only when no earlier response is owed on this connection.
            let upgradeSettings =
                info.isHTTP10 || self.state.pendingResponses != 1 ? nil : H2CUpgrade.settingsPayload(from: headers)
            self.partial = PartialRequest(
                method: head.method.rawValue, path: Self.originForm(head.uri), headers: headers, body: body,
                upgradeSettings: upgradeSettings, receivedNanos: receivedNanos)
            if sendContinue {
                var buffer = context.channel.allocator.buffer(capacity: 32)
                HTTP1ResponseSerializer.writeContinue(into: &buffer)
                context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
            }
        case .reject(let flush):
            self.partial = nil
            self.releaseBody()
            self.perform(flush, context: context)
        case .ignore:
            break
        }
    }

    /// Returns the partial request's body bytes to the server's budget (the body was handed out,
    /// refused, or its connection is gone).
    private func releaseBody() {
        self.connection.bodyBudget.release(self.reservedBodyBytes)
        self.reservedBodyBytes = 0
    }

    /// The path of an absolute-form request target (`http://host/path?query`), which a server
    /// must accept (RFC 9112 §3.2.2); other targets as they are.
    static func originForm(_ uri: String) -> String {
        guard uri.utf8.first != UInt8(ascii: "/") else { return uri }
        for scheme in ["http://", "https://"] where uri.lowercased().hasPrefix(scheme) {
            let rest = uri.dropFirst(scheme.count)
            guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
            return rest[slash] == "/" ? String(rest[slash...]) : "/" + rest[slash...]
        }
        return uri
    }

    /// What the parser lets through but this server must refuse (RFC 9112): a transfer coding
    /// other than `chunked` alone, which would hand the handler a body still encoded (501); an
    /// HTTP/1.1 request without exactly one `Host` (400).
    static func framingRejection(transferEncodings: [String], hosts: Int, isHTTP11: Bool) -> TransportRejection? {
        if !transferEncodings.isEmpty {
            let codings = H2CUpgrade.tokens(transferEncodings)
            if codings != ["chunked"] {
                return .unsupportedTransferEncoding(transferEncodings.joined(separator: ", "))
            }
        }
        if isHTTP11, hosts != 1 {
            return .malformedBecause(hosts == 0 ? "the Host header is missing" : "more than one Host header")
        }
        return nil
    }

    /// Answers `101 Switching Protocols`, replaces the HTTP/1 handlers with an HTTP/2 one whose
    /// stream 1 is this request, and hands the request to the handler there. If nghttp2 refuses
    /// the settings, the request is answered over HTTP/1.1 instead (and the connection closes).
    private func upgradeToHTTP2(_ request: HTTPRequest, settings: [UInt8], id: Int, context: ChannelHandlerContext) {
        let http2: HTTP2ConnectionHandler
        do {
            http2 = try self.connection.makeHTTP2Handler(upgrade: (settings, request.method == "HEAD"))
        } catch {
            self.logger.debug("h2c upgrade refused", metadata: ["error": "\(error)"])
            self.running.start(id: id) { self.runner.start(request, id: id, sink: self) }
            return
        }
        self.upgrading = true
        // Leave the decoder's call stack before taking it out of the pipeline.
        context.eventLoop.assumeIsolated().execute {
            guard context.channel.isActive else { return }
            var buffer = context.channel.allocator.buffer(capacity: 80)
            buffer.writeStaticString("HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n")
            context.write(self.wrapOutboundOut(buffer), promise: nil)
            do {
                let pipeline = context.pipeline.syncOperations
                try pipeline.addHandler(http2, position: .after(self))
                let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
                let deadline = try pipeline.handler(type: RequestDeadlineHandler.self)
                let selfRemoved = self.closeOnFailure(context: context)
                let decoderRemoved = self.closeOnFailure(context: context)
                pipeline.removeHandler(deadline, promise: self.closeOnFailure(context: context))
                pipeline.removeHandler(context: context, promise: selfRemoved)
                // Bytes the decoder holds past the request (the client preface) reach HTTP/2.
                pipeline.removeHandler(decoder, promise: decoderRemoved)
            } catch {
                self.logger.error("h2c upgrade failed", metadata: ["error": "\(error)"])
                context.close(promise: nil)
                return
            }
            http2.startUpgradedRequest(request)
            // The decoder replays its leftovers in a task of its own, queued just before this one.
            context.eventLoop.assumeIsolated().execute { http2.endReplayedRead() }
        }
    }

    /// A promise that closes the connection if it fails.
    private func closeOnFailure(context: ChannelHandlerContext) -> EventLoopPromise<Void> {
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenFailure { [channel = context.channel, logger = self.logger] error in
            logger.error("h2c upgrade failed", metadata: ["error": "\(error)"])
            channel.close(promise: nil)
        }
        return promise
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.lingering || self.upgrading || self.state.isClosing { return }
        if let error = error as? ByteToMessageDecoderError, case .dataReceivedInErrorState = error { return }
        if let parserError = error as? HTTPParserError {
            let isOverflow: Bool
            if case .headerOverflow = parserError { isOverflow = true } else { isOverflow = false }
            let rejection: TransportRejection =
                isOverflow
                ? .headerListTooLarge(limit: self.state.limits.maxHeaderListBytes) : Self.rejection(for: parserError)
            self.logger.debug("HTTP/1.1 request rejected", metadata: ["error": "\(parserError)", "status": "\(rejection.status)"])
            self.partial = nil
            self.releaseBody()
            self.perform(self.state.protocolError(rejection), context: context)
            return
        }
        self.logger.debug("HTTP/1.1 connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            // An answer written in this tick waits for the tick's flush: the idle timer has not
            // seen it leave, but the connection is not idle, and closing now would drop it.
            if self.isFlushScheduled { return }
            if self.lingering || self.state.idleTimeout() { self.close(context: context) }
        } else if event is ChannelShouldQuiesceEvent {
            if self.state.quiesce() { self.close(context: context) }
        } else if let event = event as? ChannelEvent, event == .inputClosed {
            // A client that closes its side is taken to have left, as Go's net/http does: the
            // work still queued for it is cancelled (what is already answered still goes out).
            self.running.abandonAll()
            if self.lingering || self.state.inputClosed() { self.close(context: context) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// Closes the connection on an event, after flushing what this tick wrote: the last answer
    /// may be written and waiting for the tick's flush (`scheduleFlush`), and a close before it
    /// would drop that answer.
    private func close(context: ChannelHandlerContext) {
        if self.isFlushScheduled { context.flush() }
        context.close(promise: nil)
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        // A client that pipelines without reading would otherwise pile its answers up in this
        // process's memory: nothing more is read while the channel is over its write high-water mark.
        guard context.channel.isWritable else {
            self.readHeldForWrites = true
            return
        }
        if self.state.readRequested() {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, self.readHeldForWrites {
            self.readHeldForWrites = false
            self.read(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func deliver(id: Int, response: HTTPResponse) {
        self.running.answered(id: id)
        guard !self.upgrading, let context = self.context else { return }
        self.perform(self.state.responseReady(id: id, response: response), context: context)
    }

    private func perform(_ flush: HTTP1ConnectionStateMachine.Flush?, context: ChannelHandlerContext) {
        guard let flush else { return }
        var size = 0
        for outgoing in flush.responses { size += HTTP1ResponseSerializer.estimatedSize(of: outgoing.response) }
        var buffer = context.channel.allocator.buffer(capacity: size)
        for outgoing in flush.responses {
            HTTP1ResponseSerializer.write(
                outgoing.response, for: outgoing.info, closeConnection: outgoing.closeConnection, into: &buffer)
        }
        let deliveries = flush.responses.compactMap(\.response.delivery)
        if deliveries.isEmpty, case .keepOpen = flush.afterWrite {
            // Nothing waits for this write (health checks, metadata): no future to allocate.
            context.write(self.wrapOutboundOut(buffer), promise: nil)
            self.scheduleFlush(context: context)
        } else {
            let written = context.write(self.wrapOutboundOut(buffer)).assumeIsolated()
            self.scheduleFlush(context: context)
            if !deliveries.isEmpty {
                written.whenSuccess { for delivery in deliveries { delivery.sent() } }
            }
            switch flush.afterWrite {
            case .keepOpen:
                break
            case .close:
                written.whenComplete { _ in context.close(promise: nil) }
            case .closeLingering:
                self.lingering = true
                written.whenComplete { _ in LingeringClose.begin(context: context) }
            }
        }
        if flush.resumeReading {
            self.read(context: context)
        }
    }

    /// Flushes at the end of this event loop tick rather than at once: the answers of one read
    /// burst of pipelined requests, or of one batch whose members share this connection, then
    /// leave in one system call (each `write` to a socket costs more than the answer's encoding).
    private func scheduleFlush(context: ChannelHandlerContext) {
        // A closed channel fails its writes at the flush: at once, not from a task a stopping
        // loop may never run.
        guard context.channel.isActive else { return context.flush() }
        guard !self.isFlushScheduled else { return }
        self.isFlushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.isFlushScheduled = false
            if let context = self.context { context.flush() }
        }
    }
}

extension HTTP1ConnectionHandler {
    /// The answer to a request the parser refused, naming what was wrong where the parser says.
    static func rejection(for error: HTTPParserError) -> TransportRejection {
        switch error {
        case .unexpectedContentLength:
            .malformedBecause("Content-Length given twice, or together with Transfer-Encoding")
        case .invalidContentLength: .malformedBecause("Content-Length is not a non-negative decimal integer")
        case .invalidChunkSize: .malformedBecause("invalid chunk size in the chunked body")
        case .invalidHeaderToken: .malformedBecause("invalid character in a header field")
        case .invalidMethod: .malformedBecause("unknown or malformed method")
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment, .invalidHost, .invalidPort:
            .malformedBecause("invalid request target")
        case .invalidVersion: .malformedBecause("invalid HTTP version")
        case .lfExpected: .malformedBecause("lines must end with CRLF")
        // llhttp's other errors: a malformed Transfer-Encoding, or one after a Content-Length.
        case .unknown: .malformedBecause("invalid Transfer-Encoding, or Content-Length together with it")
        default: .malformed
        }
    }
}
