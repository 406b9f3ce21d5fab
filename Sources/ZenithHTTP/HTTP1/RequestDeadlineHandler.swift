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

    private let timeout: TimeAmount
    private var deadline = RequestDeadline()
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if self.deadline.bytesReceived() {
            self.timer = context.eventLoop.assumeIsolated().scheduleTask(in: self.timeout) { [weak self] in
                self?.expired(context: context)
            }
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is RequestRead else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        if self.deadline.requestRead() {
            self.timer?.cancel()
            self.timer = nil
        }
        promise?.succeed()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
    }

    private func expired(context: ChannelHandlerContext) {
        self.timer = nil
        guard self.deadline.expired(), context.channel.isActive else { return }
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
