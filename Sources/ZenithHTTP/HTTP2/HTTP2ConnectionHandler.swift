import Logging
import NIOCore

/// Serves one HTTP/2 (h2c, prior knowledge) connection through an ``NGHTTP2Session``.
///
/// Bytes read go to `nghttp2_session_mem_recv`; complete requests are handed to the handler
/// concurrently; responses are submitted as they come back, and `nghttp2_session_mem_send` is
/// drained once per read burst (or once per loop tick for late responses) while the channel is
/// writable, so output never piles up in memory beyond what nghttp2 itself holds.
final class HTTP2ConnectionHandler: NGHTTP2ChannelHandler, ResponseSink {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let session: NGHTTP2Session
    private let runner: HandlerRunner
    private let remoteAddress: String?
    private let logger: Logger
    private(set) var context: ChannelHandlerContext?
    var isReading = false
    var isFlushScheduled = false
    private var readHeld = false
    private var isClosing = false
    private let running = RunningRequests()

    init(session: NGHTTP2Session, runner: HandlerRunner, remoteAddress: String?, logger: Logger) {
        self.session = session
        self.runner = runner
        self.remoteAddress = remoteAddress
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // The server's SETTINGS frame goes out at once.
        self.flushOutput(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.session.releaseBodyBudget()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        self.isClosing = true
        self.running.abandonAll()
        self.session.releaseBodyBudget()
        context.fireChannelInactive()
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.isClosing else { return }
        self.isReading = true
        let ok = self.session.receive(self.unwrapInboundIn(data))
        self.handleEvents()
        if !ok {
            // Fatal for the session (flood, internal error): send what is queued (GOAWAY) and close.
            self.flushOutput(context: context)
            self.closeAfterPendingWrites(context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.endReadBurst(context: context)
        context.fireChannelReadComplete()
    }

    private func handleEvents() {
        var index = 0
        // Handlers may answer synchronously; that only submits responses and never adds events.
        while index < self.session.events.count {
            let event = self.session.events[index]
            index += 1
            switch event {
            case .request(let streamID):
                guard let request = self.session.takeRequest(streamID: streamID, remoteAddress: self.remoteAddress)
                else { continue }
                self.running.start(id: Int(streamID)) { self.runner.start(request, id: Int(streamID), sink: self) }
            case .reject(let streamID, let rejection):
                self.logger.debug(
                    "HTTP/2 request rejected", metadata: ["stream": "\(streamID)", "status": "\(rejection.status)"])
                self.session.submitResponse(streamID: streamID, response: rejection.response)
            case .abandoned(let streamID):
                self.running.abandon(id: Int(streamID))
            }
        }
        self.session.clearEvents()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if self.session.streams.isEmpty { self.goAway(context: context) }
        } else if event is ChannelShouldQuiesceEvent {
            self.goAway(context: context)
        } else if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("HTTP/2 connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func goAway(context: ChannelHandlerContext) {
        guard !self.isClosing else { return }
        self.session.submitGoAway()
        self.flushOutput(context: context)
    }

    /// Hands the request that asked for an h2c upgrade to the handler; its response goes out on
    /// stream 1. Call once the handler is in the pipeline.
    func startUpgradedRequest(_ request: HTTPRequest) {
        self.running.start(id: 1) { self.runner.start(request, id: 1, sink: self) }
    }

    /// Ends a read burst that no `channelReadComplete` will end: the bytes the HTTP/1 decoder
    /// held past an upgrade request are replayed into this handler outside a socket read.
    func endReplayedRead() {
        self.isReading = false
        if let context = self.context { self.flushOutput(context: context) }
    }

    // MARK: Responses

    func deliver(id: Int, response: HTTPResponse) {
        self.running.answered(id: id)
        guard !self.isClosing, let context = self.context else { return }
        self.session.submitResponse(streamID: Int32(id), response: response)
        self.scheduleFlush(context: context)
    }

    // MARK: Output

    func flushOutput(context: ChannelHandlerContext) {
        guard !self.isClosing else { return }
        if let error = self.writeOutput(of: self.session.handle, context: context, bufferCapacity: 4096) {
            self.logger.error("HTTP/2 session failed on output", metadata: ["code": "\(error.code)"])
            self.closeAfterPendingWrites(context: context)
        } else if self.session.handle.isFinished {
            self.closeAfterPendingWrites(context: context)
        }
    }

    /// Sends what is written, then closes lingering (``LingeringClose``): a client that opened
    /// streams before it saw our GOAWAY still gets the answers to the streams the GOAWAY kept.
    private func closeAfterPendingWrites(context: ChannelHandlerContext) {
        guard !self.isClosing else { return }
        self.isClosing = true
        context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)))
            .assumeIsolated().whenComplete { _ in
                LingeringClose.begin(context: context)
                context.read()
            }
    }

    func read(context: ChannelHandlerContext) {
        // Reading more while output cannot leave would only make nghttp2 queue more replies;
        // once closing, what arrives is dropped, and must be read for the lingering close.
        if context.channel.isWritable || self.isClosing {
            context.read()
        } else {
            self.readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.flushOutput(context: context)
            if self.readHeld {
                self.readHeld = false
                context.read()
            }
        }
        context.fireChannelWritabilityChanged()
    }
}
