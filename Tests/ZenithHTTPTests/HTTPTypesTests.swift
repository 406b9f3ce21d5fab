import NIOCore
import Testing
@testable import ZenithHTTP

@Suite struct HTTPHeaderListTests {
    @Test func namesAreLowercasedAndLookupIgnoresCase() {
        var headers: HTTPHeaderList = ["Content-Type": "text/plain"]
        headers.append(name: "X-Trace", value: "a")
        headers.append(name: "x-trace", value: "b")
        #expect(headers.map(\.name) == ["content-type", "x-trace", "x-trace"])
        #expect(headers["CONTENT-TYPE"] == "text/plain")
        #expect(headers.values(for: "X-TRACE") == ["a", "b"])
        headers.replaceOrAdd(name: "X-Trace", value: "c")
        #expect(headers.values(for: "x-trace") == ["c"])
        headers.remove(name: "Content-Type")
        #expect(headers["content-type"] == nil)
        #expect(headers.count == 1)
    }

    @Test func requestSplitsPathAndQuery() {
        let request = HTTPRequest(method: "GET", path: "/v2/models/m/ready?verbose=1")
        #expect(request.pathWithoutQuery == "/v2/models/m/ready")
        #expect(request.query == "verbose=1")
        #expect(HTTPRequest(method: "GET", path: "/v2").query == nil)
    }

    @Test func jsonErrorsAreEscaped() {
        let response = HTTPResponse.jsonError(status: 400, message: "bad \"input\"\n\\")
        #expect(response.status == 400)
        #expect(response.headers["content-type"] == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"error":"bad \"input\"\n\\"}"#)
    }
}

@Suite struct HTTP1ResponseSerializerTests {
    func serialize(
        _ response: HTTPResponse, info: HTTP1ConnectionStateMachine.RequestInfo = .init(keepAlive: true),
        close: Bool = false
    ) -> String {
        var buffer = ByteBuffer()
        HTTP1ResponseSerializer.write(response, for: info, closeConnection: close, into: &buffer)
        return String(buffer: buffer)
    }

    @Test func aResponseHasItsFieldsContentLengthAndBody() {
        let text = serialize(HTTPResponse(status: 200, headers: ["content-type": "text/plain"], body: Array("hi".utf8)))
        #expect(text == "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nhi")
    }

    @Test func framingFieldsFromTheHandlerAndUnsafeValuesAreDropped() {
        let headers: HTTPHeaderList = [
            "content-length": "99", "connection": "keep-alive", "transfer-encoding": "chunked",
            "x-evil": "a\r\nset-cookie: b", "x-ok": "1",
        ]
        let text = serialize(HTTPResponse(status: 404, headers: headers), close: true)
        #expect(text == "HTTP/1.1 404 Not Found\r\nx-ok: 1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
    }

    @Test func headResponsesKeepTheLengthButNotTheBody() {
        let text = serialize(
            HTTPResponse(status: 200, body: Array("hello".utf8)), info: .init(keepAlive: true, isHead: true))
        #expect(text == "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n")
    }

    @Test func interimAndOutOfRangeStatusesBecome500() {
        #expect(serialize(HTTPResponse(status: 101)).hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"))
        #expect(serialize(HTTPResponse(status: 1000)).hasPrefix("HTTP/1.1 500 "))
        #expect(serialize(HTTPResponse(status: 599)).hasPrefix("HTTP/1.1 599 Unknown\r\n"))
    }

    @Test func http10KeepAliveIsSpelledOut() {
        let text = serialize(HTTPResponse(status: 204), info: .init(keepAlive: true, isHTTP10: true))
        #expect(text == "HTTP/1.1 204 No Content\r\nconnection: keep-alive\r\n\r\n")
    }
}
