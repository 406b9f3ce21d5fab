import Testing
@testable import ZenithHTTP

/// HTTP/1.1 against a real server on 127.0.0.1, spoken by hand over TCP.
@Suite struct HTTP1IntegrationTests {
    static let smallLimits = HTTPServerConfiguration(maxBodyBytes: 1024, maxHeaderListBytes: 4096)

    /// Checks that a fresh connection is still served after something nasty.
    func expectStillServing(port: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let connection = try await RawConnection.connect(port: port)
        defer { Task { await connection.close() } }
        try await connection.send("GET /after HTTP/1.1\r\nhost: x\r\n\r\n")
        let responses = parseHTTP1Responses(try await connection.read(until: hasResponses(1)))
        #expect(responses.first?.status == 200, sourceLocation: sourceLocation)
        #expect(responses.first?.body == "method=GET path=/after body=0 version=HTTP/1.1", sourceLocation: sourceLocation)
    }

    @Test func keepAliveAndPipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer { port, _ in
            let connection = try await RawConnection.connect(port: port)
            // The first request is the slowest: its response must still come first.
            try await connection.send(
                "GET /delay?ms=200 HTTP/1.1\r\nhost: x\r\n\r\n"
                    + "GET /fast HTTP/1.1\r\nhost: x\r\n\r\n"
                    + "POST /post HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello"
                    + "PROPFIND /dav HTTP/1.1\r\nhost: x\r\n\r\n")
            let responses = parseHTTP1Responses(try await connection.read(until: hasResponses(4)))
            #expect(
                responses.map(\.body) == [
                    "method=GET path=/delay?ms=200 body=0 version=HTTP/1.1",
                    "method=GET path=/fast body=0 version=HTTP/1.1",
                    "method=POST path=/post body=5 version=HTTP/1.1",
                    "method=PROPFIND path=/dav body=0 version=HTTP/1.1",
                ])
            #expect(responses.allSatisfy { $0.status == 200 && $0.headers["connection"] == nil })
            #expect(responses.first?.headers["x-echo"] == "1")

            // The same connection keeps serving.
            try await connection.send("GET /again HTTP/1.1\r\nhost: x\r\n\r\n")
            let more = parseHTTP1Responses(try await connection.read(until: hasResponses(5)))
            #expect(more.last?.body == "method=GET path=/again body=0 version=HTTP/1.1")
            #expect(!connection.isClosed)
            await connection.close()
        }
    }

    @Test func chunkedRequestBodiesAreAccepted() async throws {
        try await withServer { port, _ in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send(
                "POST /chunked HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            let responses = parseHTTP1Responses(try await connection.read(until: hasResponses(1)))
            #expect(responses.first?.body == "method=POST path=/chunked body=11 version=HTTP/1.1")
            await connection.close()
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withServer { port, _ in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send("GET /bye HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            let responses = parseHTTP1Responses(try await connection.waitForClose())
            #expect(responses.count == 1)
            #expect(responses.first?.headers["connection"] == "close")
        }
    }

    @Test func anUpgradeToSomethingElseIsAnsweredOverHTTP1AndTheConnectionCloses() async throws {
        try await withServer { port, _ in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send(
                "GET /ws HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\r\n")
            let responses = parseHTTP1Responses(try await connection.waitForClose())
            #expect(responses.map(\.status) == [200])
            #expect(responses.first?.body == "method=GET path=/ws body=0 version=HTTP/1.1")
            #expect(responses.first?.headers["connection"] == "close")
        }
    }

    @Test func anH2cUpgradeSwitchesTheConnectionToHTTP2() async throws {
        try await withServer { port, _ in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send(
                "GET /up HTTP/1.1\r\nhost: x\r\nconnection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\n"
                    + "http2-settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
            let switching = Array("HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n".utf8)
            try await connection.read(until: { $0.starts(with: switching) })
            try await connection.send(H2.clientStart)
            let bytes = try await connection.read(until: { bytes in
                H2.isFinished(1, in: H2.frames(in: Array(bytes.dropFirst(switching.count))))
            })
            let frames = H2.frames(in: Array(bytes.dropFirst(switching.count)))
            #expect(frames.first?.type == H2.settings, "the server preface follows the 101")
            #expect(H2.body(of: 1, in: frames) == "method=GET path=/up body=0 version=HTTP/1.1")
            await connection.close()
        }
    }

    @Test func headRequestsGetTheLengthWithoutTheBody() async throws {
        try await withServer { port, _ in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send("HEAD /h HTTP/1.1\r\nhost: x\r\n\r\nGET /g HTTP/1.1\r\nhost: x\r\n\r\n")
            let bytes = try await connection.read(until: { String(decoding: $0, as: UTF8.self).contains("path=/g") })
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(!text.contains("path=/h"), "no body for HEAD")
            #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
            await connection.close()
        }
    }

    @Test func expectContinueIsAnswered() async throws {
        try await withServer { port, _ in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send(
                "POST /c HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\nexpect: 100-continue\r\n\r\n")
            try await connection.read(until: { String(decoding: $0, as: UTF8.self).hasPrefix("HTTP/1.1 100 Continue\r\n\r\n") })
            try await connection.send("abc")
            let bytes = try await connection.read(until: { String(decoding: $0, as: UTF8.self).contains("body=3") })
            #expect(parseHTTP1Responses(Array(bytes.dropFirst(25))).first?.status == 200)
            await connection.close()
        }
    }

    @Test func aDeclaredBodyOverTheLimitGets413AndTheConnectionCloses() async throws {
        try await withServer(Self.smallLimits) { port, _ in
            let connection = try await RawConnection.connect(port: port)
            // Only the head is sent: the server must refuse without waiting for 5000 bytes.
            try await connection.send("POST /big HTTP/1.1\r\nhost: x\r\ncontent-length: 5000\r\n\r\n")
            let responses = parseHTTP1Responses(try await connection.waitForClose())
            #expect(responses.count == 1)
            #expect(responses.first?.status == 413)
            #expect(responses.first?.headers["content-type"] == "application/json")
            #expect(responses.first?.body.hasPrefix(#"{"error":"request body exceeds"#) == true)
            #expect(responses.first?.headers["connection"] == "close")
            try await expectStillServing(port: port)
        }
    }

    @Test func aStreamedBodyOverTheLimitGets413() async throws {
        try await withServer(Self.smallLimits) { port, _ in
            let connection = try await RawConnection.connect(port: port)
            let chunk = String(repeating: "x", count: 600)
            try await connection.send(
                "POST /stream HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
                    + "258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n")
            let responses = parseHTTP1Responses(try await connection.read(until: hasResponses(1)))
            #expect(responses.first?.status == 413)
            // The peer keeps sending; the server discards it and closes.
            try? await connection.send("258\r\n\(chunk)\r\n0\r\n\r\n")
            try await connection.waitForClose()
            try await expectStillServing(port: port)
        }
    }

    @Test func hugeHeadersGet431() async throws {
        try await withServer(Self.smallLimits) { port, _ in
            let connection = try await RawConnection.connect(port: port)
            let big = String(repeating: "h", count: 8000)
            try await connection.send("GET /h HTTP/1.1\r\nhost: x\r\nx-big: \(big)\r\n\r\n")
            let responses = parseHTTP1Responses(try await connection.waitForClose())
            #expect(responses.map(\.status) == [431])
            #expect(responses.first?.body.hasPrefix(#"{"error":"#) == true)
            try await expectStillServing(port: port)
        }
    }

    @Test func garbageGets400AndTheConnectionCloses() async throws {
        try await withServer { port, _ in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send("HELLO THERE\r\n\r\n")
            let responses = parseHTTP1Responses(try await connection.waitForClose())
            #expect(responses.map(\.status) == [400])
            #expect(responses.first?.body.hasPrefix(#"{"error":"malformed HTTP request: "#) == true)
            try await expectStillServing(port: port)
        }
    }

    @Test func aTransferCodingOtherThanChunkedGets501() async throws {
        try await withServer { port, _ in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send(
                "POST /p HTTP/1.1\r\nhost: x\r\ntransfer-encoding: gzip, chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n")
            let responses = parseHTTP1Responses(try await connection.waitForClose())
            #expect(responses.map(\.status) == [501])
            #expect(responses.first?.body.contains("Transfer-Encoding 'gzip, chunked' is not supported") == true)
            try await expectStillServing(port: port)
        }
    }

    @Test func anHTTP11RequestNeedsExactlyOneHost() async throws {
        try await withServer { port, _ in
            for head in ["GET /h HTTP/1.1\r\n\r\n", "GET /h HTTP/1.1\r\nhost: x\r\nhost: y\r\n\r\n"] {
                let connection = try await RawConnection.connect(port: port)
                try await connection.send(head)
                let responses = parseHTTP1Responses(try await connection.waitForClose())
                #expect(responses.map(\.status) == [400])
                #expect(responses.first?.body.contains("Host") == true)
            }
            // HTTP/1.0 has no Host requirement.
            let connection = try await RawConnection.connect(port: port)
            try await connection.send("GET /h HTTP/1.0\r\n\r\n")
            #expect(parseHTTP1Responses(try await connection.waitForClose()).map(\.status) == [200])
        }
    }

    @Test func parserRefusalsSayWhatWasWrong() async throws {
        try await withServer { port, _ in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send("POST /p HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabc")
            let responses = parseHTTP1Responses(try await connection.waitForClose())
            #expect(responses.map(\.status) == [400])
            #expect(responses.first?.body.contains("Content-Length given twice") == true)
        }
    }

    @Test func absoluteFormTargetsAreServedByTheirPath() {
        #expect(HTTP1ConnectionHandler.originForm("http://x:8000/v2/health/live?a=1") == "/v2/health/live?a=1")
        #expect(HTTP1ConnectionHandler.originForm("HTTP://x") == "/")
        #expect(HTTP1ConnectionHandler.originForm("http://x?q") == "/?q")
        #expect(HTTP1ConnectionHandler.originForm("/already") == "/already")
        #expect(HTTP1ConnectionHandler.originForm("*") == "*")
    }

    @Test func garbageAfterAGoodRequestIsAnsweredAfterIt() async throws {
        try await withServer { port, _ in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send("GET /delay?ms=100 HTTP/1.1\r\nhost: x\r\n\r\n\u{1}\u{2}garbage\r\n\r\n")
            let responses = parseHTTP1Responses(try await connection.waitForClose())
            #expect(responses.map(\.status) == [200, 400])
            try await expectStillServing(port: port)
        }
    }
}
