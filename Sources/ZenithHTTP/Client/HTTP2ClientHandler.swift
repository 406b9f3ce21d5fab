import NIOCore

/// Drives one HTTP/2 (h2c, prior knowledge) client connection through an ``NGHTTP2ClientSession``.
///
/// Everything happens on the channel's event loop. Requests submitted in one loop tick, and the
/// frames nghttp2 owes after a read burst (WINDOW_UPDATE, SETTINGS ACK, request bodies), are drained
/// with `nghttp2_session_mem_send` into as few buffers as possible and flushed once: at the end of
/// the read burst, or in one task scheduled for the end of the tick. Completions run on the loop
/// after nghttp2 has returned, never from inside its callbacks.
final class HTTP2ClientHandler: NGHTTP2ChannelHandler, HTTPClientChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let session: NGHTTP2ClientSession
    private let counters: HTTPClientCounters
    private(set) var context: ChannelHandlerContext?
    /// Succeeds with the peer's first SETTINGS frame: until then the server's limits are unknown
    /// and it is not even known to speak HTTP/2, so `connect` waits for it.
    private var ready: EventLoopPromise<Void>?
    private let handshakeTimeout: TimeAmount
    private var handshakeTimer: Scheduled<Void>?
    private var peerMaxConcurrentStreams = Int.max
    var isReading = false
    var isFlushScheduled = false
    /// `close` was asked for, the session ended or failed: no new requests.
    private var isClosing = false
    private var isClosed = false
    private var closeStarted = false
    /// What requests still outstanding when the connection ends are told.
    private var closeReason = HTTPClientError.connectionClosed

    init(session: NGHTTP2ClientSession, counters: HTTPClientCounters, ready: EventLoopPromise<Void>, handshakeTimeout: TimeAmount) {
        self.session = session
        self.counters = counters
        self.ready = ready
        self.handshakeTimeout = handshakeTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { self.start(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        // A connect that failed never made the channel active, so nothing else settles the wait.
        self.handshakeTimer?.cancel()
        if let ready = self.ready {
            self.ready = nil
            ready.fail(HTTPClientError.connectFailed("connection closed during the HTTP/2 handshake"))
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.start(context: context)
        context.fireChannelActive()
    }

    /// Sends the preface and our SETTINGS, and bounds the wait for the server's.
    private func start(context: ChannelHandlerContext) {
        guard self.handshakeTimer == nil, self.ready != nil else { return }
        self.handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: self.handshakeTimeout) {
            guard let ready = self.ready else { return }
            self.ready = nil
            ready.fail(HTTPClientError.connectFailed("timed out waiting for the server's HTTP/2 settings"))
            self.context?.close(promise: nil)
        }
        self.flushOutput(context: context)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.isClosed else { return }
        self.isReading = true
        let failure = self.session.receive(self.unwrapInboundIn(data))
        if self.session.settingsReceived {
            self.session.settingsReceived = false
            self.peerMaxConcurrentStreams = self.session.peerMaxConcurrentStreams
            self.counters.maxConcurrentStreams.store(self.peerMaxConcurrentStreams, ordering: .relaxed)
            if let ready = self.ready {
                self.ready = nil
                self.handshakeTimer?.cancel()
                ready.succeed()
            }
        }
        self.deliverFinished()
        if let failure {
            // Fatal for the session: nghttp2 has queued GOAWAY; send it and close.
            self.closeReason = .protocolError(failure.message)
            self.flushOutput(context: context)
            self.closeAfterPendingWrites(context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.endReadBurst(context: context)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.isClosed = true
        self.isClosing = true
        self.handshakeTimer?.cancel()
        if let ready = self.ready {
            self.ready = nil
            let reason: HTTPClientError =
                if case .protocolError = self.closeReason { self.closeReason } else {
                    .connectFailed("connection closed during the HTTP/2 handshake")
                }
            ready.fail(reason)
        }
        let reason = self.closeReason
        let abandoned = self.session.takeAllCompletions()
        // Counted down before the callers hear of it, so they never see a stale figure.
        self.counters.inflight.store(0, ordering: .relaxed)
        for completion in abandoned {
            completion(.failure(reason))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Socket errors (reset by peer, ...) end the connection like a close does.
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.flushOutput(context: context) }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Requests

    func submit(_ request: HTTPRequest, timeout: TimeAmount?, completion: @escaping HTTPClientCompletion) {
        guard !self.isClosing, let context = self.context else {
            completion(.failure(.connectionClosed))
            return
        }
        // nghttp2 would queue a stream over the limit until one closes; the caller asked to be
        // told instead, so an open-loop load generator sees the server's limit.
        guard self.session.streams.count < self.peerMaxConcurrentStreams else {
            completion(.failure(.tooManyStreams))
            return
        }
        switch self.session.submit(request, completion: completion) {
        case .failure(let error):
            completion(.failure(error))
        case .success(let streamID):
            if let timeout {
                let timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                    self.timeOut(streamID: streamID)
                }
                self.session.setTimeout(timer, streamID: streamID)
            }
            self.counters.inflight.store(self.session.streams.count, ordering: .relaxed)
            self.scheduleFlush(context: context)
        }
    }

    private func timeOut(streamID: Int32) {
        guard let completion = self.session.abandon(streamID: streamID) else { return }
        completion(.failure(.timedOut))
        // The RST_STREAM(CANCEL) just queued goes out with the tick's other output.
        if let context = self.context { self.scheduleFlush(context: context) }
    }

    func closeConnection() {
        guard !self.isClosing, let context = self.context else { return }
        self.session.terminate()
        self.flushOutput(context: context)
        self.closeAfterPendingWrites(context: context)
    }

    /// Runs the completions of the streams that ended during the last call into nghttp2.
    private func deliverFinished() {
        guard !self.session.finished.isEmpty else { return }
        self.counters.inflight.store(self.session.streams.count, ordering: .relaxed)
        var index = 0
        while index < self.session.finished.count {
            let (completion, result) = self.session.finished[index]
            index += 1
            completion(result)
        }
        self.session.clearFinished()
    }

    // MARK: Output

    func flushOutput(context: ChannelHandlerContext) {
        guard !self.isClosed else { return }
        if let error = self.writeOutput(of: self.session.handle, context: context, bufferCapacity: 16 * 1024) {
            self.closeReason = .protocolError(error.message)
            self.closeAfterPendingWrites(context: context)
        }
        // Streams also end while sending (our RST_STREAM, the last DATA after the response).
        self.deliverFinished()
        if self.session.handle.isFinished {
            self.closeAfterPendingWrites(context: context)
        }
    }

    private func closeAfterPendingWrites(context: ChannelHandlerContext) {
        guard !self.isClosed, !self.closeStarted else { return }
        self.closeStarted = true
        self.isClosing = true
        self.closeWhenWritten(context: context)
    }
}
