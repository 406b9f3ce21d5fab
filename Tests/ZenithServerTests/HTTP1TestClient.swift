import NIOCore
import NIOHTTP1
import NIOPosix
import NIOConcurrencyHelpers

/// A response as the tests read it.
struct TestResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A minimal HTTP/1.1 client over NIO: one keep-alive connection, requests answered in order.
final class HTTP1TestClient: Sendable {
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPClientResponsePart

        struct State {
            var waiting: [EventLoopPromise<TestResponse>] = []
            var current: TestResponse?
        }

        let state = NIOLockedValueBox(State())

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                let headers = Dictionary(
                    head.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
                state.withLockedValue { $0.current = TestResponse(status: Int(head.status.code), headers: headers, body: []) }
            case .body(let buffer):
                state.withLockedValue { $0.current?.body.append(contentsOf: buffer.readableBytesView) }
            case .end:
                let (promise, response) = state.withLockedValue { state -> (EventLoopPromise<TestResponse>?, TestResponse?) in
                    defer { state.current = nil }
                    return (state.waiting.isEmpty ? nil : state.waiting.removeFirst(), state.current)
                }
                if let promise, let response { promise.succeed(response) }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            let waiting = state.withLockedValue { state in
                defer { state.waiting = [] }
                return state.waiting
            }
            for promise in waiting { promise.fail(ChannelError.ioOnClosedChannel) }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    private let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(port: Int) async throws -> HTTP1TestClient {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return HTTP1TestClient(channel: channel, collector: collector)
    }

    func request(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) async throws -> TestResponse {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "host", value: "127.0.0.1")
        head.headers.add(name: "content-length", value: String(body.count))
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        let promise = channel.eventLoop.makePromise(of: TestResponse.self)
        collector.state.withLockedValue { $0.waiting.append(promise) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if !body.isEmpty {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        }
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: written)
        let collector = self.collector
        written.futureResult.whenFailure { error in
            // A connection the server already closed: the response will never come.
            let owned = collector.state.withLockedValue { state in
                guard let index = state.waiting.firstIndex(where: { $0.futureResult === promise.futureResult }) else {
                    return false
                }
                state.waiting.remove(at: index)
                return true
            }
            if owned { promise.fail(error) }
        }
        return try await promise.futureResult.get()
    }

    func close() async {
        try? await channel.close()
    }
}

/// One request on a fresh connection.
func send(
    port: Int, _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []
) async throws -> TestResponse {
    let client = try await HTTP1TestClient.connect(port: port)
    defer { Task { await client.close() } }
    return try await client.request(method, path, headers: headers, body: body)
}
