/// A complete HTTP response produced by an ``HTTPHandler``.
///
/// The transport adds the framing headers itself: `content-length` (HTTP/1.1 and HTTP/2) and
/// `connection` (HTTP/1.1). Any `content-length`, `transfer-encoding`, `connection`, `keep-alive`,
/// `upgrade` or `proxy-connection` field set here is ignored, as are fields whose name or value
/// holds a CR, LF or NUL.
public struct HTTPResponse: Sendable {
    /// The status code, 200–999. Anything else (1xx included: interim responses are the
    /// transport's business) is sent as 500.
    public var status: Int
    /// The header fields, names lowercased.
    public var headers: HTTPHeaderList
    /// The response body.
    public var body: [UInt8]
    /// Trailer fields, sent after the body in a HEADERS frame that ends the stream, as gRPC
    /// needs (`grpc-status`, `grpc-message`). HTTP/2 only: HTTP/1.1 drops them.
    ///
    /// A response with trailers goes without `content-length`. With an empty body, the trailers
    /// join the header fields in the one HEADERS frame (gRPC's trailers-only response). Fields
    /// that would not be written as headers are ignored here too. On a response the HTTP/2
    /// client received, the fields of a header block that followed the response's.
    public var trailers: HTTPHeaderList?
    /// Told when the response's last byte leaves (or that it never will).
    public var delivery: ResponseDelivery?

    /// Creates a response.
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - headers: The header fields (names are lowercased).
    ///   - body: The body bytes.
    ///   - trailers: Trailer fields (HTTP/2 only), or `nil` for none.
    public init(status: Int, headers: HTTPHeaderList = [:], body: [UInt8] = [], trailers: HTTPHeaderList? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.trailers = trailers
    }

    /// A JSON error response in Zenith's error shape: `{"error":"<message>"}`.
    ///
    /// - Parameters:
    ///   - status: The status code (400, 404, 413, 431, 429, 503, ...).
    ///   - message: The human-readable reason; it is JSON-escaped here.
    public static func jsonError(status: Int, message: String) -> HTTPResponse {
        var body: [UInt8] = []
        body.reserveCapacity(message.utf8.count + 14)
        body.append(contentsOf: #"{"error":""#.utf8)
        JSONString.appendEscaped(message, to: &body)
        body.append(contentsOf: #""}"#.utf8)
        return HTTPResponse(status: status, headers: ["content-type": "application/json"], body: body)
    }
}
