import NIOCore

/// Enforces ``RequestDeadline`` on an HTTP/1.1 connection. It sits in front of the HTTP decoder,
/// where the raw bytes pass, and learns that a request was read whole from
/// ``HTTP1ConnectionHandler`` through the outbound user event ``RequestRead``.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Sent (outbound) by the connection handler when a request's last byte was read.
    struct RequestRead {}

    private var deadline: RequestDeadline
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.deadline = RequestDeadline(timeout: timeout)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let due = self.deadline.bytesReceived(now: .now()) {
            self.arm(at: due, context: context)
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is RequestRead else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        self.deadline.requestRead()
        promise?.succeed()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
    }

    private func arm(at due: NIODeadline, context: ChannelHandlerContext) {
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { [weak self] in
            self?.fired(context: context)
        }
    }

    private func fired(context: ChannelHandlerContext) {
        self.timer = nil
        switch self.deadline.timerFired(now: .now()) {
        case .idle: return
        case .rearm(let due): self.arm(at: due, context: context)
        case .timedOut: self.expired(context: context)
        }
    }

    private func expired(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let body = #"{"error":"the request was not received in time"}"#
        var buffer = context.channel.allocator.buffer(capacity: 160)
        buffer.writeString(
            "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n"
                + "connection: close\r\n\r\n\(body)")
        context.writeAndFlush(self.wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
