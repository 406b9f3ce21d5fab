import Logging
import NIOCore
import NIOEmbedded
import NIOConcurrencyHelpers
import Testing
@testable import ZenithHTTP

/// A connection event (idle timeout, server shutdown, the client's half-close) arriving in the
/// very tick a handler's answer is written, before that tick's flush: on the server's real
/// HTTP/1.1 pipeline over an in-memory channel, so the order of the two is fixed rather than
/// left to a loaded machine's timing.
@Suite struct CloseBeforeFlushTests {
    enum Event: String, CaseIterable, Sendable {
        case idle, quiesce, inputClosed

        func fire(on pipeline: ChannelPipeline) {
            switch self {
            case .idle: pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.all)
            case .quiesce: pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            case .inputClosed: pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            }
        }
    }

    /// Answers at once, but first queues `event` on the loop: it runs after the answer is written
    /// and before the flush the answer scheduled behind it.
    final class EventBeforeFlushHandler: HTTPHandler {
        let event: Event
        let channel = NIOLockedValueBox<EmbeddedChannel?>(nil)

        init(event: Event) { self.event = event }

        func handle(_ request: HTTPRequest) async -> HTTPResponse {
            if let channel = self.channel.withLockedValue({ $0 }) {
                channel.eventLoop.execute { [event] in event.fire(on: channel.pipeline) }
            }
            return HTTPResponse(status: 200, headers: ["content-type": "text/plain"], body: Array("answered".utf8))
        }
    }

    @Test(arguments: Event.allCases)
    func anAnswerWrittenButNotYetFlushedIsNotDropped(event: Event) throws {
        let loop = EmbeddedEventLoop()
        let handler = EventBeforeFlushHandler(event: event)
        let channel = EmbeddedChannel(
            handler: HTTPServer.connectionHandler(
                configuration: HTTPServerConfiguration(), handler: handler, bodyBudget: RequestBodyBudget(limit: 1 << 20),
                remoteAddress: "192.0.2.1:4000", eventLoop: loop,
                logger: Logger(label: "zenith.http.tests", factory: { _ in SwiftLogNoOpLogHandler() })),
            loop: loop)
        handler.channel.withLockedValue { $0 = channel }
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 4000)).wait()

        try channel.writeInbound(channel.allocator.buffer(string: "GET /x HTTP/1.1\r\nhost: x\r\n\r\n"))
        loop.run()

        var written: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { written += buffer.readableBytesView }
        let responses = parseHTTP1Responses(written)
        #expect(responses.map(\.status) == [200])
        #expect(responses.first?.body == "answered")
        if event == .idle {
            #expect(channel.isActive, "the connection answered a request in this tick: not idle")
            // With nothing in flight, the next idle event closes it.
            event.fire(on: channel.pipeline)
            loop.run()
        }
        #expect(!channel.isActive)
        _ = try channel.finish(acceptAlreadyClosed: true)
    }
}
