import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing
@testable import ZenithHTTP

/// The idle timer firing in the very tick a handler's answer is written, before that tick's
/// flush: on the server's real HTTP/1.1 pipeline over an in-memory channel, so the order of the
/// two events is fixed rather than left to a loaded machine's timing.
@Suite struct IdleTimeoutRaceTests {
    /// Answers at once, but first queues an idle event on the loop: it runs after the answer is
    /// written and before the flush the answer scheduled behind it.
    final class IdleBeforeFlushHandler: HTTPHandler {
        let channel = Mutex<EmbeddedChannel?>(nil)

        func handle(_ request: HTTPRequest) async -> HTTPResponse {
            if let channel = self.channel.withLock({ $0 }) {
                channel.eventLoop.execute {
                    channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.all)
                }
            }
            return HTTPResponse(status: 200, headers: ["content-type": "text/plain"], body: Array("answered".utf8))
        }
    }

    @Test func anAnswerWrittenButNotYetFlushedIsNotDroppedByTheIdleTimeout() throws {
        let loop = EmbeddedEventLoop()
        let handler = IdleBeforeFlushHandler()
        let channel = EmbeddedChannel(
            handler: HTTPServer.connectionHandler(
                configuration: HTTPServerConfiguration(), handler: handler, bodyBudget: RequestBodyBudget(limit: 1 << 20),
                remoteAddress: "192.0.2.1:4000", eventLoop: loop,
                logger: Logger(label: "zenith.http.tests", factory: { _ in SwiftLogNoOpLogHandler() })),
            loop: loop)
        handler.channel.withLock { $0 = channel }
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 4000)).wait()

        try channel.writeInbound(channel.allocator.buffer(string: "GET /x HTTP/1.1\r\nhost: x\r\n\r\n"))
        loop.run()

        var written: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { written += buffer.readableBytesView }
        let responses = parseHTTP1Responses(written)
        #expect(responses.map(\.status) == [200])
        #expect(responses.first?.body == "answered")
        #expect(channel.isActive, "the connection answered a request in this tick: not idle")

        // With nothing in flight, the next idle event closes it.
        channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.all)
        loop.run()
        #expect(!channel.isActive)
        _ = try channel.finish(acceptAlreadyClosed: true)
    }
}
