import Logging
import NIOCore
import NIOEmbedded
import Testing
@testable import ZenithHTTP

/// The server-wide request-body budget: the counter alone, then shared by connections on
/// in-memory channels (the server's real pipeline, no sockets, no clock).
@Suite struct RequestBodyBudgetTests {
    @Test func reservationsStopAtTheLimitAndReleasesMakeRoom() {
        let budget = RequestBodyBudget(limit: 100)
        #expect(budget.reserve(60))
        #expect(budget.reserve(40))
        #expect(!budget.reserve(1), "nothing past the limit")
        #expect(budget.reservedBytes == 100, "a refused reservation takes nothing")
        budget.release(50)
        #expect(!budget.reserve(51))
        #expect(budget.reserve(50))
        budget.release(100)
        #expect(budget.reservedBytes == 0)
        #expect(budget.reserve(0))
        #expect(!budget.reserve(101), "one reservation larger than the whole budget")
    }

    @Test func concurrentReservationsNeverPassTheLimit() async {
        let budget = RequestBodyBudget(limit: 1000)
        let granted = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var granted = 0
                    for _ in 0..<10_000 {
                        guard budget.reserve(7) else { continue }
                        granted += 1
                        #expect(budget.reservedBytes <= 1000)
                        budget.release(7)
                    }
                    return granted
                }
            }
            return await group.reduce(0, +)
        }
        #expect(granted > 0)
        #expect(budget.reservedBytes == 0, "every reservation was released exactly once")
    }

    // MARK: Connections sharing it

    static let configuration = HTTPServerConfiguration(
        maxBodyBytes: 1024, maxConnectionBodyBytes: 1024, maxProcessBodyBytes: 1500)
    static let logger = Logger(label: "zenith.http.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    struct Connection {
        let loop: EmbeddedEventLoop
        let channel: EmbeddedChannel

        init(budget: RequestBodyBudget) throws {
            self.loop = EmbeddedEventLoop()
            self.channel = EmbeddedChannel(
                handler: HTTPServer.connectionHandler(
                    configuration: RequestBodyBudgetTests.configuration, handler: EchoHandler(), bodyBudget: budget,
                    remoteAddress: "192.0.2.1:4000", eventLoop: loop, logger: RequestBodyBudgetTests.logger),
                loop: loop)
            try self.channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 4000)).wait()
        }

        func send(_ bytes: [UInt8]) throws {
            try self.channel.writeInbound(self.channel.allocator.buffer(bytes: bytes))
            self.loop.run()
        }

        func written() throws -> [UInt8] {
            var bytes: [UInt8] = []
            while let buffer = try self.channel.readOutbound(as: ByteBuffer.self) {
                bytes += buffer.readableBytesView
            }
            return bytes
        }
    }

    static func http1Head(length: Int) -> [UInt8] {
        Array("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(length)\r\n\r\n".utf8)
    }

    @Test func anHTTP2StreamPassingTheServersBudgetIsRefused503AndClosedConnectionsGiveTheirShareBack() throws {
        let budget = RequestBodyBudget(limit: Self.configuration.maxProcessBodyBytes)
        let holder = try Connection(budget: budget)
        try holder.send(Self.http1Head(length: 1000) + [UInt8](repeating: 0x20, count: 900))
        #expect(budget.reservedBytes == 900)

        let h2 = try Connection(budget: budget)
        try h2.send(
            H2.clientStart
                + H2.frame(
                    type: H2.headers, flags: H2.endHeaders, streamID: 1,
                    payload: H2.requestBlock(method: "POST", path: "/upload"))
                + H2.frame(type: H2.data, streamID: 1, payload: [UInt8](repeating: 0x20, count: 700)))
        let frames = H2.frames(in: try h2.written())
        #expect(frames.contains { $0.type == H2.headers && $0.streamID == 1 })
        // The status is HPACK-coded; the reason names this rejection alone (503, see TransportRejection).
        let reason = "the unfinished request bodies on all connections exceed the server's limit of 1500 bytes; retry later"
        #expect(H2.body(of: 1, in: frames) == #"{"error":""# + reason + #""}"#)
        #expect(budget.reservedBytes == 900, "the refused stream's bytes are not kept")

        // Within the budget, the same connection is served.
        try h2.send(
            H2.frame(
                type: H2.headers, flags: H2.endHeaders, streamID: 3,
                payload: H2.requestBlock(method: "POST", path: "/upload"))
                + H2.frame(
                    type: H2.data, flags: H2.endStream, streamID: 3, payload: [UInt8](repeating: 0x20, count: 500)))
        #expect(budget.reservedBytes == 900, "a body handed to the handler leaves the budget")

        _ = try holder.channel.finish(acceptAlreadyClosed: true)
        _ = try h2.channel.finish(acceptAlreadyClosed: true)
        #expect(budget.reservedBytes == 0)
    }

    @Test func anHTTP1BodyPassingTheServersBudgetIsRefused503WithRetryAfter() throws {
        let budget = RequestBodyBudget(limit: Self.configuration.maxProcessBodyBytes)
        let holder = try Connection(budget: budget)
        try holder.send(Self.http1Head(length: 1000) + [UInt8](repeating: 0x20, count: 900))

        let refused = try Connection(budget: budget)
        try refused.send(Self.http1Head(length: 1000) + [UInt8](repeating: 0x20, count: 700))
        let answer = String(decoding: try refused.written(), as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 503 "), "\(answer)")
        #expect(answer.lowercased().contains("retry-after: 1\r\n"))
        #expect(answer.contains("exceed the server's limit of 1500 bytes"))
        #expect(budget.reservedBytes == 900)

        // The holder's request completes and is handed out: its bytes come back.
        try holder.send([UInt8](repeating: 0x20, count: 100))
        #expect(budget.reservedBytes == 0)
        _ = try holder.channel.finish(acceptAlreadyClosed: true)
        _ = try refused.channel.finish(acceptAlreadyClosed: true)
    }
}
