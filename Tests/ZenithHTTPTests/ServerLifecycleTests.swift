import Logging
import ServiceLifecycle
import Testing
@testable import ZenithHTTP

/// Connection limits, idle timeouts and graceful shutdown against a real server.
@Suite struct ServerLifecycleTests {
    @Test func connectionsOverTheLimitAreClosedAtOnce() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.maxConnections = 2
        try await withServer(configuration) { port, _ in
            let first = try await RawConnection.connect(port: port)
            let second = try await RawConnection.connect(port: port)
            // Make sure both were accepted before the third arrives.
            for connection in [first, second] {
                try await connection.send("GET /x HTTP/1.1\r\nhost: x\r\n\r\n")
                try await connection.read(until: hasResponses(1))
            }
            let third = try await RawConnection.connect(port: port)
            let bytes = try await third.waitForClose()
            #expect(bytes.isEmpty)

            await first.close()
            // Once a slot is free, connections are served again.
            var served = false
            for _ in 0..<50 where !served {
                let retry = try await RawConnection.connect(port: port)
                try? await retry.send("GET /y HTTP/1.1\r\nhost: x\r\n\r\n")
                if (try? await retry.read(timeout: .seconds(1), until: hasResponses(1))) != nil { served = true }
                await retry.close()
            }
            #expect(served)
            await second.close()
        }
    }

    @Test func idleConnectionsAreClosed() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.idleTimeout = .seconds(1)
        let handler = CountingEchoHandler()
        try await withServer(configuration, handler: handler) { port, _ in
            // Timed from before the connect: the server's idle timer cannot start earlier.
            let start = ContinuousClock.now
            let silent = try await RawConnection.connect(port: port)
            try await silent.waitForClose()
            #expect(ContinuousClock.now - start >= .milliseconds(900))

            let answered = try await firstAnswer(port: port, handler: handler, request: "GET /x HTTP/1.1\r\nhost: x\r\n\r\n")
            #expect(answered.responses.map(\.status) == [200])
            try await answered.connection.waitForClose()

            let frames = try await idleHTTP2Connection(port: port)
            let goAway = frames.first { $0.type == H2.goAway }
            #expect(goAway.map { H2.errorCode($0.payload[4...]) } == 0, "GOAWAY(NO_ERROR) before closing")
        }
    }

    @Test func aSlowRequestIsNotCutByTheIdleTimeout() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.idleTimeout = .seconds(1)
        let handler = CountingEchoHandler()
        try await withServer(configuration, handler: handler) { port, _ in
            // Once the handler holds the request, its 3 s must outlast the 1 s idle timeout.
            let answered = try await firstAnswer(
                port: port, handler: handler, request: "GET /delay?ms=3000 HTTP/1.1\r\nhost: x\r\n\r\n")
            #expect(answered.responses.map(\.status) == [200])
            await answered.connection.close()
        }
    }

    /// A request still arriving `requestTimeout` after its first byte is answered 408 and the
    /// connection closed, at its own deadline: the timer an earlier request on the connection
    /// armed, still pending when this one starts, must not cut it short.
    @Test func aRequestSentTooSlowlyIsAnswered408AtItsOwnDeadline() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.requestTimeout = .seconds(1)
        try await withServer(configuration) { port, _ in
            let connection = try await RawConnection.connect(port: port, opening: "GET /x HTTP/1.1\r\nhost: x\r\n\r\n")
            try await connection.read(until: hasResponses(1))
            // The client pauses (part of the scenario, not a wait for the server), then starts a
            // request it never finishes, while the first request's timer is still pending.
            try await Task.sleep(for: .milliseconds(400))
            let started = ContinuousClock.now
            try await connection.send("GET /x HTTP/1.1\r\nhost: x\r\n")
            let bytes = try await connection.waitForClose()
            let waited = ContinuousClock.now - started
            #expect(parseHTTP1Responses(bytes).map(\.status) == [200, 408])
            #expect(waited >= .milliseconds(1000), "408 after \(waited), before the request's own second was up")
        }
    }

    /// Opens an HTTP/2 connection, sends the preface and SETTINGS as it connects, and returns the
    /// frames received until the server closed it. On a loaded machine the preface can still
    /// reach the server after the idle timeout of the connect, which then rightly closes a
    /// connection that never spoke HTTP/2: an attempt the server did not answer with its SETTINGS
    /// shows nothing and is repeated.
    private func idleHTTP2Connection(port: Int, attempts: Int = 5) async throws -> [H2.Frame] {
        for _ in 0..<attempts {
            let connection = try await RawConnection.connect(port: port, opening: H2.clientStart)
            let frames = H2.frames(in: try await connection.waitForClose())
            if frames.contains(where: { $0.type == H2.settings }) { return frames }
        }
        throw TestFailure("the preface reached the server after its idle timeout in all \(attempts) attempts")
    }

    /// Sends `request` as a new connection opens and reads its answer. On a loaded machine the
    /// request can still reach the server after the idle timeout of its connect, which then
    /// rightly closes the connection: such an attempt shows nothing and is repeated. A close after
    /// the handler took the request is a failure.
    private func firstAnswer(
        port: Int, handler: CountingEchoHandler, request: String, attempts: Int = 5
    ) async throws -> (connection: RawConnection, responses: [ParsedResponse]) {
        for _ in 0..<attempts {
            let startedBefore = handler.started.count
            let connection = try await RawConnection.connect(port: port, opening: request)
            do {
                let bytes = try await connection.read(until: hasResponses(1))
                return (connection, parseHTTP1Responses(bytes))
            } catch where connection.isClosed && handler.started.count == startedBefore {
                await connection.close()
            }
        }
        throw TestFailure("the request reached the server after its idle timeout in all \(attempts) attempts")
    }

    @Test func gracefulShutdownFinishesInFlightRequestsThenStops() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let handler = CountingEchoHandler()
        // A failed expectation must not leave the held requests, and so the server, running.
        defer { handler.release() }
        let server = HTTPServer(configuration: configuration, handler: handler, logger: quietLogger)
        let running = Task { try await server.run() }
        let port = try await server.listeningPort()
        #expect(await server.localPort == port)

        let http1 = try await RawConnection.connect(port: port)
        try await http1.send("GET /held HTTP/1.1\r\nhost: x\r\n\r\n")
        let http2 = try await RawConnection.connect(port: port)
        try await http2.send(
            H2.clientStart
                + H2.frame(
                    type: H2.headers, flags: H2.endHeaders | H2.endStream, streamID: 1,
                    payload: H2.requestBlock(method: "GET", path: "/held")))
        let idle = try await RawConnection.connect(port: port)
        try await handler.waitUntilStarted(2)

        server.triggerGracefulShutdown()
        // The requests are held until the shutdown has reached the connections: the server asks
        // every open connection to quiesce in one pass, so once the HTTP/2 one has sent its
        // GOAWAY, the HTTP/1.1 one's quiesce event is queued on its event loop ahead of the answer.
        try await http2.read { H2.frames(in: $0).contains { $0.type == H2.goAway } }
        handler.release()

        let responses = parseHTTP1Responses(try await http1.waitForClose())
        #expect(responses.map(\.status) == [200])
        #expect(responses.first?.headers["connection"] == "close")

        let frames = H2.frames(in: try await http2.waitForClose())
        #expect(frames.contains { $0.type == H2.goAway })
        #expect(H2.body(of: 1, in: frames) == "method=GET path=/held body=0 version=HTTP/2")

        try await idle.waitForClose()
        try await running.value
        #expect(await server.localPort == nil)
        await #expect(throws: (any Error).self) { try await RawConnection.connect(port: port) }
    }

    @Test func aServiceGroupShutsTheServerDownGracefully() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let handler = CountingEchoHandler()
        let server = HTTPServer(configuration: configuration, handler: handler, logger: quietLogger)
        let group = ServiceGroup(services: [server], logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try await server.listeningPort()
            let connection = try await RawConnection.connect(port: port)
            try await connection.send("GET /delay?ms=300 HTTP/1.1\r\nhost: x\r\n\r\n")
            try await handler.waitUntilStarted(1)
            await group.triggerGracefulShutdown()
            let responses = parseHTTP1Responses(try await connection.waitForClose())
            #expect(responses.map(\.status) == [200])
            try await tasks.waitForAll()
        }
    }

    @Test func cancellingRunStopsTheServer() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, handler: EchoHandler(), logger: quietLogger)
        let running = Task { try await server.run() }
        let port = try await server.listeningPort()
        running.cancel()
        try await running.value
        await #expect(throws: (any Error).self) { try await RawConnection.connect(port: port) }
    }

    @Test func aPortInUseMakesRunThrow() async throws {
        try await withServer { port, _ in
            var configuration = HTTPServerConfiguration()
            configuration.host = "127.0.0.1"
            configuration.port = port
            let second = HTTPServer(configuration: configuration, handler: EchoHandler(), logger: quietLogger)
            await #expect(throws: (any Error).self) { try await second.run() }
            await #expect(throws: HTTPServer.NotListeningError.self) { try await second.listeningPort() }
        }
    }
}
