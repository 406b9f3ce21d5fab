import Logging
import NIOCore

/// The first handler of every connection: reads until ``ProtocolSniffer`` decides between HTTP/2
/// and HTTP/1, installs that protocol's handlers behind itself, replays the bytes seen, and leaves.
final class ProtocolSniffingHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var sniffer = ProtocolSniffer()
    private var buffered: ByteBuffer?
    private let connection: ConnectionContext

    init(connection: ConnectionContext) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = self.unwrapInboundIn(data)
        switch self.sniffer.feed(bytes.readableBytesView) {
        case .needMoreBytes:
            if self.buffered == nil {
                self.buffered = bytes
            } else {
                self.buffered!.writeImmutableBuffer(bytes)
            }
        case .http1:
            self.switchProtocol(http2: false, bytes: bytes, context: context)
        case .http2:
            self.switchProtocol(http2: true, bytes: bytes, context: context)
        }
    }

    private func switchProtocol(http2: Bool, bytes: ByteBuffer, context: ChannelHandlerContext) {
        var all = bytes
        if var buffered = self.buffered.take() {
            buffered.writeImmutableBuffer(bytes)
            all = buffered
        }
        do {
            let handlers = try http2 ? self.connection.http2Handlers() : self.connection.http1Handlers()
            try context.pipeline.syncOperations.addHandlers(handlers, position: .after(self))
        } catch {
            self.connection.logger.error("cannot set up connection", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(self.wrapInboundOut(all))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // No request has started yet: idle, quiescing or half-closed connections just close.
        if event is IdleStateHandler.IdleStateEvent || event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
        } else if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.connection.logger.debug("connection error before the first request", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
