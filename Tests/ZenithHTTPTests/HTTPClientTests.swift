import Foundation
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
import Synchronization
import Testing
import ZenithTestSupport
@testable import ZenithHTTP

/// ``HTTPClientConnection`` against ZenithHTTP's own server over both protocols, and against a
/// server that goes away.
@Suite struct HTTPClientTests {
    static let versions: [HTTPVersion] = [.http2, .http1_1]

    /// A generous handshake limit: the shared event loops can wait seconds for a core in a full
    /// sanitized run on a loaded machine, and the limit is not what these tests check.
    func connect(_ port: Int, _ version: HTTPVersion) async throws -> HTTPClientConnection {
        try await HTTPClientConnection.connect(
            host: "127.0.0.1", port: port, version: version, connectTimeout: EventCount.generousTimeout)
    }

    @Test(arguments: versions)
    func getRoundTripsStatusHeadersAndBody(version: HTTPVersion) async throws {
        try await withServer(handler: ClientTestHandler()) { port, _ in
            let client = try await self.connect(port, version)
            let response = try await client.execute(
                HTTPRequest(method: "GET", path: "/echo?q=1", headers: ["X-Test": "hello"]))
            #expect(response.status == 200)
            #expect(response.headers["x-method"] == "GET")
            #expect(response.headers["x-version"] == "\(version)")
            #expect(response.headers["x-test"] == "hello")
            #expect(response.headers["x-host"] == "127.0.0.1:\(port)")
            #expect(response.headers["content-length"] == "0")
            #expect(response.body.isEmpty)

            let plain = try await client.execute(HTTPRequest(method: "GET", path: "/plain?x=1"))
            #expect(String(decoding: plain.body, as: UTF8.self) == "method=GET path=/plain?x=1 body=0 version=\(version)")
            #expect(plain.headers["content-type"] == "text/plain")

            let notFound = try await client.execute(HTTPRequest(method: "DELETE", path: "/status?code=404"))
            #expect(notFound.status == 404)
            #expect(client.inflight == 0)
            if version == .http2 {
                #expect(client.maxConcurrentStreams == 128)
            } else {
                #expect(client.maxConcurrentStreams == nil)
            }
            await client.close()
        }
    }

    @Test(arguments: versions)
    func bodiesLargerThanTheInitialWindowTravelBothWays(version: HTTPVersion) async throws {
        try await withServer(handler: ClientTestHandler()) { port, _ in
            let client = try await self.connect(port, version)
            // 300 kB is several times HTTP/2's default 64 KiB window: flow control must work on
            // the request (server's window) and the response (ours).
            let upload = Array(ClientTestHandler.pattern(count: 300_000).reversed())
            let echoed = try await client.execute(
                HTTPRequest(method: "POST", path: "/echo", headers: ["content-type": "application/octet-stream"], body: upload))
            #expect(echoed.status == 200)
            #expect(echoed.headers["x-method"] == "POST")
            #expect(echoed.body == upload)

            let download = try await client.execute(HTTPRequest(method: "GET", path: "/bytes?n=1000000"))
            #expect(download.headers["content-length"] == "1000000")
            #expect(download.body == ClientTestHandler.pattern(count: 1_000_000))

            // A bodiless POST still announces its (zero) length.
            let empty = try await client.execute(HTTPRequest(method: "POST", path: "/echo"))
            #expect(empty.status == 200)
            #expect(empty.body.isEmpty)
            await client.close()
        }
    }

    @Test(arguments: versions)
    func manyConcurrentRequestsShareOneConnection(version: HTTPVersion) async throws {
        let handler = ClientTestHandler()
        try await withServer(handler: handler) { port, _ in
            let client = try await self.connect(port, version)
            // 100 requests of 300 ms on one connection: HTTP/2 multiplexes them, HTTP/1.1 pipelines
            // them (the server handles pipelined requests concurrently, answering in order). The
            // server holding several at once is what shows it.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        let response = try await client.execute(HTTPRequest(method: "GET", path: "/delay?i=\(index)&ms=300"))
                        #expect(response.status == 200)
                        #expect(String(decoding: response.body, as: UTF8.self) == "/delay?i=\(index)&ms=300")
                    }
                }
                try await group.waitForAll()
            }
            #expect(handler.delays.most > 1)
            #expect(client.inflight == 0)
            await client.close()
        }
    }

    /// Thousands of requests: the server and the client each have an event loop of their own
    /// (`withEventLoopGroup`), so that this traffic does not hold up the other tests' connections.
    @Test(arguments: versions)
    func completionAPIFromOtherThreadsAnswersEveryRequestOnTheLoop(version: HTTPVersion) async throws {
        var configuration = HTTPServerConfiguration()
        configuration.eventLoopThreads = 1
        try await withServer(configuration, handler: ClientTestHandler()) { port, _ in
            try await withEventLoopGroup { group in
                let client = try await HTTPClientConnection.connect(
                    host: "127.0.0.1", port: port, version: version, eventLoopGroup: group,
                    connectTimeout: EventCount.generousTimeout)
                let total = 4000
                let outcome = NIOLockedValueBox((ok: 0, failed: 0, offLoop: 0))
                // What the test has submitted and not yet seen answered: it keeps HTTP/2 under the
                // server's 128 streams, as a load generator must.
                let outstanding = Atomic(0)
                let batch = 25
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    let completion: @Sendable (Result<HTTPResponse, HTTPClientError>) -> Void = { result in
                        outstanding.subtract(1, ordering: .relaxed)
                        let finished = outcome.withLockedValue { state -> Bool in
                            if case .success(let response) = result, response.status == 200 {
                                state.ok += 1
                            } else {
                                state.failed += 1
                            }
                            if !client.eventLoop.inEventLoop { state.offLoop += 1 }
                            return state.ok + state.failed == total
                        }
                        if finished { done.resume() }
                    }
                    // Several submitting threads, none of them the connection's loop.
                    PlainThreads.run(count: 4) { thread in
                        for round in 0..<(total / 4 / batch) {
                            while true {
                                let current = outstanding.load(ordering: .relaxed)
                                if current + batch <= 128,
                                    outstanding.compareExchange(
                                        expected: current, desired: current + batch, ordering: .relaxed
                                    ).exchanged
                                {
                                    break
                                }
                                usleep(100)
                            }
                            for index in 0..<batch {
                                client.execute(
                                    HTTPRequest(method: "GET", path: "/x?t=\(thread)&r=\(round)&i=\(index)"),
                                    completion: completion)
                            }
                        }
                    }
                }
                let final = outcome.withLockedValue { $0 }
                #expect(final.ok == total, "failed: \(final.failed)")
                #expect(final.offLoop == 0)
                await client.close()
            }
        }
    }

    @Test func requestsOverTheServersStreamLimitAreNotSent() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.maxConcurrentStreams = 4
        let handler = ClientTestHandler()
        try await withServer(configuration, handler: handler) { port, _ in
            // The server's shutdown waits for its handlers: a failure must not leave them held.
            defer { handler.held.release() }
            let client = try await self.connect(port, .http2)
            #expect(client.maxConcurrentStreams == 4)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await client.execute(HTTPRequest(method: "GET", path: "/held")).status }
                }
                // The server holds all four: their streams stay open until the test lets them go.
                try await handler.held.arrived.wait(for: 4, "requests held by the server")
                #expect(client.inflight == 4)
                await #expect(throws: HTTPClientError.tooManyStreams) {
                    try await client.execute(HTTPRequest(method: "GET", path: "/x"))
                }
                handler.held.release()
                for try await status in group { #expect(status == 200) }
            }
            // Once streams close there is room again.
            #expect(try await client.execute(HTTPRequest(method: "GET", path: "/x")).status == 200)
            await client.close()
        }
    }

    @Test(arguments: versions)
    func aRefusedConnectionIsConnectFailed(version: HTTPVersion) async throws {
        let refusing = try RefusingPort()
        await #expect(throws: HTTPClientError.connectFailed("connection refused")) {
            _ = try await HTTPClientConnection.connect(host: "127.0.0.1", port: refusing.port, version: version)
        }
    }

    @Test func aServerThatDoesNotSpeakHTTP2FailsTheConnect() async throws {
        let server = try await ClosingServer.start()
        defer { Task { await server.stop() } }
        // It accepts but never sends SETTINGS: the handshake times out (the error says which wait).
        await #expect(throws: HTTPClientError.connectFailed("timed out waiting for the server's HTTP/2 settings")) {
            _ = try await HTTPClientConnection.connect(
                host: "127.0.0.1", port: server.port, version: .http2, connectTimeout: .milliseconds(300))
        }
    }

    @Test(arguments: versions)
    func aServerClosingMidRequestIsConnectionClosed(version: HTTPVersion) async throws {
        // An empty SETTINGS frame is all an HTTP/2 server must say before the client may send.
        let settings: [UInt8] = [0, 0, 0, 4, 0, 0, 0, 0, 0]
        let server = try await ClosingServer.start(greeting: version == .http2 ? settings : [])
        defer { Task { await server.stop() } }
        let client = try await self.connect(server.port, version)
        // The timeout only keeps a broken client from hanging the suite.
        let pending = Task {
            try await client.execute(
                HTTPRequest(method: "POST", path: "/never", body: [1, 2, 3]), timeout: EventCount.generousTimeout)
        }
        try await waitUntil("the request is outstanding") { client.inflight == 1 }
        try await waitUntil("the server has accepted the connection") { server.acceptedCount == 1 }
        await server.closeConnections()
        await #expect(throws: HTTPClientError.connectionClosed) { try await pending.value }
        #expect(client.inflight == 0)
        // The connection is gone for good.
        await #expect(throws: HTTPClientError.connectionClosed) {
            try await client.execute(HTTPRequest(method: "GET", path: "/again"))
        }
    }

    @Test func aShutdownServerSendsGoAwayAndLaterRequestsFail() async throws {
        var client: HTTPClientConnection?
        try await withServer(handler: ClientTestHandler()) { port, _ in
            client = try await self.connect(port, .http2)
            #expect(try await client!.execute(HTTPRequest(method: "GET", path: "/x")).status == 200)
        }
        // withServer returned: the server sent GOAWAY and closed the connection. Depending on
        // whether the client read the GOAWAY before submitting, the request is refused locally
        // or by nghttp2 on reading GOAWAY (REFUSED_STREAM): either way it was never processed.
        let result = await Result { () async throws(HTTPClientError) -> HTTPResponse in
            try await client!.execute(HTTPRequest(method: "GET", path: "/after"))
        }
        #expect(result.failure == .connectionClosed || result.failure == .streamReset(7), "\(result)")
    }

    @Test(arguments: versions)
    func aSlowResponseTimesOutAndTheConnectionStaysUsable(version: HTTPVersion) async throws {
        let handler = ClientTestHandler()
        try await withServer(handler: handler) { port, _ in
            defer { handler.held.release() }
            let client = try await self.connect(port, version)
            // Held until the client has given up, however late its timer fires.
            await #expect(throws: HTTPClientError.timedOut) {
                try await client.execute(HTTPRequest(method: "GET", path: "/held"), timeout: .milliseconds(100))
            }
            handler.held.release()
            // HTTP/2 reset the stream; HTTP/1.1 reads the late answer and drops it, then this one.
            let next = try await client.execute(
                HTTPRequest(method: "GET", path: "/echo"), timeout: EventCount.generousTimeout)
            #expect(next.status == 200)
            #expect(next.headers["x-method"] == "GET")
            await client.close()
        }
    }

    @Test(arguments: versions)
    func closeFailsOutstandingRequests(version: HTTPVersion) async throws {
        let handler = ClientTestHandler()
        try await withServer(handler: handler) { port, _ in
            defer { handler.held.release() }
            let client = try await self.connect(port, version)
            let pending = Task { try await client.execute(HTTPRequest(method: "GET", path: "/held")) }
            // Held by the server, so outstanding until the close.
            try await handler.held.arrived.wait(for: 1, "requests held by the server")
            #expect(client.inflight == 1)
            await client.close()
            await #expect(throws: HTTPClientError.connectionClosed) { try await pending.value }
            await #expect(throws: HTTPClientError.connectionClosed) {
                try await client.execute(HTTPRequest(method: "GET", path: "/x"))
            }
        }
    }

    @Test func errorsPrintAsOneLine() {
        #expect(HTTPClientError.connectFailed("connection refused").description == "connection refused")
        #expect(HTTPClientError.streamReset(7).description == "stream reset by the server (REFUSED_STREAM)")
        #expect(HTTPClientError.streamReset(99).description == "stream reset by the server (error code 99)")
        for error in [HTTPClientError.connectionClosed, .timedOut, .tooManyStreams, .protocolError("x")] {
            #expect(!error.description.contains("\n"))
        }
    }
}

/// Plain threads for submitting from outside any event loop or task executor.
enum PlainThreads {
    /// Runs `body(index)` on `count` new threads and returns at once.
    static func run(count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        for index in 0..<count {
            let thread = Thread { body(index) }
            thread.start()
        }
    }
}

extension Result {
    /// Runs `body` and keeps its outcome.
    init(_ body: () async throws(Failure) -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }

    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
