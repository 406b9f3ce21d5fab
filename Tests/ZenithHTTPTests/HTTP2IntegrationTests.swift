import Foundation
import ZenithTestSupport
import Testing
@testable import ZenithHTTP

/// HTTP/2 with prior knowledge against a real server: nghttp, curl, and frames written by hand.
@Suite struct HTTP2IntegrationTests {
    static let smallLimits = HTTPServerConfiguration(maxBodyBytes: 1024, maxHeaderListBytes: 4096)

    @Test func nghttpGetsAnEchoOverHTTP2() async throws {
        guard let nghttp = requireExecutable("nghttp", package: "nghttp2-client") else { return }
        try await withServer { port, _ in
            let result = try await run(nghttp, ["-v", "http://127.0.0.1:\(port)/hello?x=1"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains(":status: 200"))
            #expect(result.stdout.contains("x-echo: 1"))
            #expect(result.stdout.contains("content-length: \("method=GET path=/hello?x=1 body=0 version=HTTP/2".utf8.count)"))
            #expect(result.stdout.contains("method=GET path=/hello?x=1 body=0 version=HTTP/2"))
        }
    }

    @Test func nghttpPostsABody() async throws {
        guard let nghttp = requireExecutable("nghttp", package: "nghttp2-client") else { return }
        let file = try temporaryFile(bytes: 100_000)
        defer { try? FileManager.default.removeItem(at: file) }
        try await withServer { port, _ in
            // 100 kB exceeds the default 64 KiB stream window: flow control has to work.
            let result = try await run(nghttp, ["-v", "-d", file.path, "http://127.0.0.1:\(port)/upload"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("method=POST path=/upload body=100000 version=HTTP/2"))
        }
    }

    @Test func concurrentStreamsAreServedConcurrently() async throws {
        guard let nghttp = requireExecutable("nghttp", package: "nghttp2-client") else { return }
        let handler = CountingEchoHandler()
        try await withServer(handler: handler) { port, _ in
            // 20 streams that each take 300 ms: served one after the other, at most one would run.
            let result = try await run(nghttp, ["-nv", "-m", "20", "http://127.0.0.1:\(port)/delay?ms=300"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.components(separatedBy: ":status: 200").count - 1 == 20)
            #expect(handler.mostRunning > 1, "streams were not handled concurrently")
        }
    }

    @Test func nghttpGets413ForABodyOverTheLimit() async throws {
        guard let nghttp = requireExecutable("nghttp", package: "nghttp2-client") else { return }
        let file = try temporaryFile(bytes: 5000)
        defer { try? FileManager.default.removeItem(at: file) }
        try await withServer(Self.smallLimits) { port, _ in
            let result = try await run(nghttp, ["-v", "-d", file.path, "http://127.0.0.1:\(port)/big"])
            #expect(result.stdout.contains(":status: 413"), "\(result.stdout)")
            #expect(result.stdout.contains(#"{"error":"request body exceeds the limit of 1024 bytes"}"#))
        }
    }

    @Test func nghttpGets431ForHugeHeadersAndTheServerAdvertisesTheLimit() async throws {
        guard let nghttp = requireExecutable("nghttp", package: "nghttp2-client") else { return }
        try await withServer(Self.smallLimits) { port, _ in
            let big = String(repeating: "h", count: 8000)
            let result = try await run(nghttp, ["-v", "-H", "x-big: \(big)", "http://127.0.0.1:\(port)/h"])
            #expect(result.stdout.contains("[SETTINGS_MAX_HEADER_LIST_SIZE(0x06):4096]"), "\(result.stdout)")
            #expect(result.stdout.contains("[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):128]"))
            #expect(result.stdout.contains(":status: 431"))
        }
    }

    @Test func curlSpeaksHTTP2WithPriorKnowledge() async throws {
        guard let curl = requireExecutable("curl", package: "curl") else { return }
        let version = try await run(curl, ["--version"])
        guard version.stdout.contains("HTTP2") else {
            Issue.record("this curl was built without HTTP/2 support (no HTTP2 in `curl --version` features)")
            return
        }
        try await withServer { port, _ in
            let get = try await run(
                curl, ["-sS", "--max-time", "50", "--http2-prior-knowledge", "-w", "\n%{http_version} %{http_code}",
                       "http://127.0.0.1:\(port)/curl?q=1"])
            #expect(get.status == 0, "\(get.stderr)")
            #expect(get.stdout == "method=GET path=/curl?q=1 body=0 version=HTTP/2\n2 200")

            let post = try await run(
                curl, ["-sS", "--max-time", "50", "--http2-prior-knowledge", "--data-binary", "0123456789",
                       "-w", "\n%{http_version} %{http_code}", "http://127.0.0.1:\(port)/curl-post"])
            #expect(post.stdout == "method=POST path=/curl-post body=10 version=HTTP/2\n2 200")

            // The same port keeps serving HTTP/1.1.
            let http1 = try await run(
                curl, ["-sS", "--max-time", "50", "--http1.1", "-w", "\n%{http_version} %{http_code}",
                       "http://127.0.0.1:\(port)/one"])
            #expect(http1.stdout == "method=GET path=/one body=0 version=HTTP/1.1\n1.1 200")
        }
    }

    @Test func curlAndNghttpCanUpgradeFromHTTP1() async throws {
        guard let curl = requireExecutable("curl", package: "curl"),
            let nghttp = requireExecutable("nghttp", package: "nghttp2-client")
        else { return }
        let file = try temporaryFile(bytes: 300)
        defer { try? FileManager.default.removeItem(at: file) }
        try await withServer { port, _ in
            // The request that asks for the upgrade arrived over HTTP/1.1; the next one is HTTP/2.
            let upgraded = try await run(
                curl, ["-sS", "--max-time", "50", "--http2", "-w", " %{http_version} %{http_code}\n",
                       "http://127.0.0.1:\(port)/first", "http://127.0.0.1:\(port)/second"])
            #expect(upgraded.status == 0, "\(upgraded.stderr)")
            #expect(
                upgraded.stdout
                    == "method=GET path=/first body=0 version=HTTP/1.1 2 200\n"
                    + "method=GET path=/second body=0 version=HTTP/2 2 200\n")

            // nghttp upgrades with `OPTIONS *` (answered on stream 1), then posts over HTTP/2.
            let withBody = try await run(nghttp, ["-v", "-u", "-d", file.path, "http://127.0.0.1:\(port)/post"])
            #expect(withBody.status == 0, "\(withBody.stderr)")
            #expect(withBody.stdout.contains("HTTP Upgrade success"))
            #expect(withBody.stdout.contains("recv (stream_id=1) :status: 200"))
            #expect(withBody.stdout.contains("method=POST path=/post body=300 version=HTTP/2"))
        }
    }

    /// Reads frames until `done` holds.
    func frames(
        on connection: RawConnection, until done: @escaping ([H2.Frame]) -> Bool
    ) async throws -> [H2.Frame] {
        H2.frames(in: try await connection.read(until: { done(H2.frames(in: $0)) }))
    }

    @Test func streamsOverTheConcurrencyLimitAreRefused() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.maxConcurrentStreams = 2
        try await withServer(configuration) { port, _ in
            let connection = try await RawConnection.connect(port: port)
            var bytes = H2.clientStart
            for streamID: UInt32 in [1, 3, 5] {
                bytes += H2.frame(
                    type: H2.headers, flags: H2.endHeaders | H2.endStream, streamID: streamID,
                    payload: H2.requestBlock(method: "GET", path: "/delay?ms=300"))
            }
            try await connection.send(bytes)
            let received = try await frames(on: connection) { frames in
                [1, 3, 5].allSatisfy { H2.isFinished($0, in: frames) }
            }
            let reset = received.first { $0.type == H2.rstStream && $0.streamID == 5 }
            #expect(reset.map { H2.errorCode($0.payload[...]) } == 0x7, "REFUSED_STREAM")
            #expect(H2.body(of: 1, in: received).contains("path=/delay?ms=300"))
            #expect(H2.body(of: 3, in: received).contains("path=/delay?ms=300"))
            #expect(!received.contains { $0.type == H2.goAway })
            await connection.close()
        }
    }

    @Test func anOversizedBodyGets413WhileOtherStreamsStayHealthy() async throws {
        try await withServer(Self.smallLimits) { port, _ in
            let connection = try await RawConnection.connect(port: port)
            var bytes = H2.clientStart
            bytes += H2.frame(
                type: H2.headers, flags: H2.endHeaders, streamID: 1,
                payload: H2.requestBlock(method: "POST", path: "/big"))
            bytes += H2.frame(type: H2.data, streamID: 1, payload: Array(repeating: 0x41, count: 2000))
            bytes += H2.frame(
                type: H2.headers, flags: H2.endHeaders | H2.endStream, streamID: 3,
                payload: H2.requestBlock(method: "GET", path: "/fine"))
            try await connection.send(bytes)
            let received = try await frames(on: connection) { frames in
                H2.isFinished(1, in: frames) && H2.isFinished(3, in: frames)
                    && frames.contains { $0.type == H2.rstStream && $0.streamID == 1 }
            }
            #expect(H2.body(of: 1, in: received) == #"{"error":"request body exceeds the limit of 1024 bytes"}"#)
            // The rest of stream 1's body is refused with RST_STREAM(NO_ERROR) after the response.
            let reset = received.first { $0.type == H2.rstStream && $0.streamID == 1 }
            #expect(reset.map { H2.errorCode($0.payload[...]) } == 0x0)
            #expect(H2.body(of: 3, in: received) == "method=GET path=/fine body=0 version=HTTP/2")
            #expect(!received.contains { $0.type == H2.goAway })

            // A later stream on the same connection is still served.
            try await connection.send(
                H2.frame(
                    type: H2.headers, flags: H2.endHeaders | H2.endStream, streamID: 5,
                    payload: H2.requestBlock(method: "GET", path: "/later")))
            let later = try await frames(on: connection) { H2.isFinished(5, in: $0) }
            #expect(H2.body(of: 5, in: later) == "method=GET path=/later body=0 version=HTTP/2")
            await connection.close()
        }
    }

    @Test func garbageAfterThePrefaceGetsGoAwayAndTheServerStaysUp() async throws {
        try await withServer { port, _ in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send(H2.preface + Array("this is not a SETTINGS frame at all".utf8))
            let bytes = try await connection.waitForClose()
            let goAway = H2.frames(in: bytes).first { $0.type == H2.goAway }
            #expect(goAway != nil, "expected GOAWAY, got \(describe(bytes))")
            if let goAway {
                #expect(H2.errorCode(goAway.payload[4...]) == 0x1, "PROTOCOL_ERROR")
            }

            // An invalid frame mid-connection: DATA on stream 0.
            let second = try await RawConnection.connect(port: port)
            try await second.send(H2.clientStart + H2.frame(type: H2.data, streamID: 0, payload: [1, 2, 3]))
            let secondBytes = try await second.waitForClose()
            #expect(H2.frames(in: secondBytes).contains { $0.type == H2.goAway })

            let healthy = try await RawConnection.connect(port: port)
            try await healthy.send(
                H2.clientStart
                    + H2.frame(
                        type: H2.headers, flags: H2.endHeaders | H2.endStream, streamID: 1,
                        payload: H2.requestBlock(method: "GET", path: "/ok")))
            let received = try await frames(on: healthy) { H2.isFinished(1, in: $0) }
            #expect(H2.body(of: 1, in: received) == "method=GET path=/ok body=0 version=HTTP/2")
            await healthy.close()
        }
    }
}
