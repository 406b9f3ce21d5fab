import Foundation
import NIOConcurrencyHelpers
import Testing
import ZenithTestSupport

@testable import ZenithHTTP

/// Responses with trailer fields, as gRPC sends them: HEADERS, DATA without END_STREAM, then a
/// HEADERS frame of trailers that ends the stream; or, with no body, one HEADERS frame.
@Suite struct HTTP2TrailersTests {
    /// `/body` answers a body and trailers, `/empty` trailers alone; each reports its delivery.
    final class TrailersHandler: HTTPHandler {
        let deliveries = NIOLockedValueBox<[UInt64?]>([])

        func handle(_ request: HTTPRequest) async -> HTTPResponse {
            let body: [UInt8] = request.pathWithoutQuery == "/body" ? Array("payload".utf8) : []
            var response = HTTPResponse(
                status: 200, headers: ["content-type": "application/grpc"], body: body,
                trailers: ["grpc-status": "0", "grpc-message": "all%20good", "content-length": "99"])
            response.delivery = ResponseDelivery { nanos in self.deliveries.withLockedValue { $0.append(nanos) } }
            return response
        }
    }

    /// Whether the first frame line of `kind` ("DATA", "HEADERS") at or after `start` in nghttp's
    /// verbose output has END_STREAM (flag 0x01) set; `nil` when there is no such line.
    static func endsStream(_ out: String, _ kind: String, from start: String.Index) -> Bool? {
        guard let line = out.range(of: "recv \(kind) frame <", range: start..<out.endIndex),
            let flags = out.range(of: "flags=0x", range: line.upperBound..<out.endIndex),
            let value = UInt8(out[flags.upperBound...].prefix(2), radix: 16)
        else { return nil }
        return value & 0x01 != 0
    }

    @Test func trailersFollowTheBodyAndEndTheStream() async throws {
        guard let nghttp = requireExecutable("nghttp", package: "nghttp2-client") else { return }
        let handler = TrailersHandler()
        try await withServer(handler: handler) { port, _ in
            let result = try await run(nghttp, ["-v", "http://127.0.0.1:\(port)/body"])
            #expect(result.status == 0, "\(result.stderr)")
            let out = result.stdout
            #expect(out.contains("payload"))
            #expect(!out.contains("content-length"), "a response with trailers has no content-length")
            // The response's HEADERS and DATA frames leave the stream open; the trailers' HEADERS
            // frame, after the DATA, ends it.
            let data = try #require(out.range(of: "recv DATA frame"))
            #expect(Self.endsStream(out, "HEADERS", from: out.startIndex) == false, "\(out)")
            #expect(Self.endsStream(out, "DATA", from: out.startIndex) == false, "\(out)")
            #expect(Self.endsStream(out, "HEADERS", from: data.upperBound) == true, "\(out)")
            let status = try #require(out.range(of: "grpc-status: 0"))
            #expect(status.lowerBound > data.lowerBound)
            #expect(out.contains("grpc-message: all%20good"))
        }
        // Delivery is reported when the trailers, the response's last frame, left.
        #expect(handler.deliveries.withLockedValue { $0.count == 1 && $0[0] != nil })
    }

    @Test func withoutABodyTheTrailersJoinTheHeaders() async throws {
        guard let nghttp = requireExecutable("nghttp", package: "nghttp2-client") else { return }
        let handler = TrailersHandler()
        try await withServer(handler: handler) { port, _ in
            let result = try await run(nghttp, ["-v", "http://127.0.0.1:\(port)/empty"])
            #expect(result.status == 0, "\(result.stderr)")
            let out = result.stdout
            #expect(!out.contains("recv DATA frame"))
            #expect(!out.contains("content-length"))
            #expect(out.contains("grpc-status: 0"))
            #expect(Self.endsStream(out, "HEADERS", from: out.startIndex) == true, "\(out)")
            #expect(out.components(separatedBy: "recv HEADERS frame").count == 2, "one HEADERS frame")
        }
        #expect(handler.deliveries.withLockedValue { $0.count == 1 && $0[0] != nil })
    }

    @Test func theStreamStatePlansTrailers() {
        var stream = HTTP2StreamState(limits: .init(maxBodyBytes: 100, maxHeaderListBytes: 1000))
        let plan = stream.setResponse(status: 200, body: [1, 2, 3], trailers: ["grpc-status": "0"])
        #expect(plan == .init(sendsContentLength: false, sendsBody: true, trailersInHeaders: false))
        #expect(stream.takeTrailers()?["grpc-status"] == "0")
        #expect(stream.takeTrailers() == nil, "trailers are sent once")

        var empty = HTTP2StreamState(limits: .init(maxBodyBytes: 100, maxHeaderListBytes: 1000))
        #expect(
            empty.setResponse(status: 200, body: [], trailers: ["grpc-status": "5"])
                == .init(sendsContentLength: false, sendsBody: false, trailersInHeaders: true))
        #expect(empty.takeTrailers() == nil)

        var plain = HTTP2StreamState(limits: .init(maxBodyBytes: 100, maxHeaderListBytes: 1000))
        #expect(plain.setResponse(status: 200, body: [1]) == .init(sendsContentLength: true, sendsBody: true))
    }
}
