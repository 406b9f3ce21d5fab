import NIOCore

/// A channel handler that writes an nghttp2 session's frames to its channel: what the server's
/// ``HTTP2ConnectionHandler`` and the client's ``HTTP2ClientHandler`` do alike with their output.
///
/// Used only as a generic constraint on final classes, so the shared methods are specialised
/// for each handler and dispatched statically.
protocol NGHTTP2ChannelHandler: ChannelDuplexHandler where OutboundOut == ByteBuffer {
    /// The handler's context while it is in the pipeline.
    var context: ChannelHandlerContext? { get }
    /// Between `channelRead` and `channelReadComplete`: output waits for the end of the burst.
    var isReading: Bool { get set }
    /// A drain is scheduled for the end of this loop tick.
    var isFlushScheduled: Bool { get set }
    /// Drains the session's output into the channel while it is writable (with
    /// ``writeOutput(of:context:bufferCapacity:)``); closes the connection once the session has
    /// failed, or wants neither to read nor to write (after GOAWAY, or a connection error).
    func flushOutput(context: ChannelHandlerContext)
}

extension NGHTTP2ChannelHandler {
    /// Output produced per write before writability is checked again.
    static var writeChunkBytes: Int { 64 * 1024 }

    /// Sends output queued outside a read (a response, a request, a reset): with the read burst's
    /// output if one is under way, otherwise in one drain and one flush at the end of this loop
    /// tick, together with everything else queued in it.
    func scheduleFlush(context: ChannelHandlerContext) {
        guard !self.isReading, !self.isFlushScheduled else { return }
        self.isFlushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.isFlushScheduled = false
            if let context = self.context { self.flushOutput(context: context) }
        }
    }

    /// Ends a read burst: sends what its input left nghttp2 owing and what was queued meanwhile.
    func endReadBurst(context: ChannelHandlerContext) {
        self.isReading = false
        self.flushOutput(context: context)
    }

    /// Writes the session's pending frames to the channel while it is writable, in buffers of
    /// about ``writeChunkBytes``, and flushes once.
    ///
    /// - Parameters:
    ///   - session: The session whose output is drained.
    ///   - context: The handler's context.
    ///   - bufferCapacity: The capacity each buffer starts with.
    /// - Returns: The session's error if it failed while serialising; what it produced before
    ///   the failure is written and flushed all the same.
    func writeOutput(
        of session: borrowing NGHTTP2SessionHandle, context: ChannelHandlerContext, bufferCapacity: Int
    ) -> NGHTTP2Error? {
        var wrote = false
        var failure: NGHTTP2Error?
        drain: while context.channel.isWritable {
            var buffer = context.channel.allocator.buffer(capacity: bufferCapacity)
            let result = session.produceOutput(into: &buffer, maxBytes: Self.writeChunkBytes)
            if buffer.readableBytes > 0 {
                context.write(self.wrapOutboundOut(buffer), promise: nil)
                wrote = true
            }
            switch result {
            case .more: continue
            case .drained: break drain
            case .failed(let error):
                failure = error
                break drain
            }
        }
        if wrote { context.flush() }
        return failure
    }

    /// Closes the channel once everything written so far has been sent.
    func closeWhenWritten(context: ChannelHandlerContext) {
        // Writes complete in order: once this empty one is done, everything before it was sent.
        context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)))
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
