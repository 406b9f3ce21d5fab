import NIOCore

/// Sits on the listening channel and sees every accepted connection before it is set up: closes
/// those over the limit, remembers the others, and on shutdown tells them to quiesce.
///
/// Everything runs on the listening channel's event loop; ``ConnectionTracker`` decides.
final class ConnectionAcceptHandler: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private var tracker: ConnectionTracker<ObjectIdentifier>
    private var channels: [ObjectIdentifier: any Channel] = [:]
    private let eventLoop: any EventLoop
    /// Succeeds once shutdown began and every connection has closed.
    let shutdownCompleted: EventLoopPromise<Void>

    init(maxConnections: Int, maxConnectionsPerClient: Int, eventLoop: any EventLoop) {
        self.tracker = ConnectionTracker(maxConnections: maxConnections, maxPerClient: maxConnectionsPerClient)
        self.eventLoop = eventLoop
        self.shutdownCompleted = eventLoop.makePromise()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let channel = self.unwrapInboundIn(data)
        let key = ObjectIdentifier(channel)
        switch self.tracker.accepted(key, client: channel.remoteAddress?.ipAddress ?? "") {
        case .accept:
            self.admit(channel, key: key, context: context, data: data)
        case .acceptEvicting(let victim):
            self.channels.removeValue(forKey: victim)?.close(promise: nil)
            self.admit(channel, key: key, context: context, data: data)
        case .reject:
            channel.close(promise: nil)
        }
    }

    private func admit(_ channel: any Channel, key: ObjectIdentifier, context: ChannelHandlerContext, data: NIOAny) {
        self.channels[key] = channel
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        channel.closeFuture.whenComplete { [eventLoop = self.eventLoop] _ in
            eventLoop.execute { loopBound.value.closed(key) }
        }
        context.fireChannelRead(data)
    }

    private func closed(_ key: ObjectIdentifier) {
        self.channels.removeValue(forKey: key)
        switch self.tracker.closed(key) {
        case .none: break
        case .shutdownCompleted: self.shutdownCompleted.succeed()
        }
    }

    /// Stops admitting connections and asks the open ones to finish. Call on the event loop.
    func beginShutdown() {
        switch self.tracker.beginShutdown() {
        case .quiesce(let keys):
            for key in keys {
                guard let channel = self.channels[key] else { continue }
                channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
        case .completed:
            self.shutdownCompleted.succeed()
        case .none:
            break
        }
    }

    var openConnections: Int { self.tracker.openCount }
}
