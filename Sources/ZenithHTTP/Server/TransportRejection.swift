/// A request the transport answers itself, without calling the handler.
enum TransportRejection: Sendable, Hashable {
    /// The body (declared or streamed) is larger than the configured limit: 413.
    case bodyTooLarge(limit: Int)
    /// The header list is larger than the configured limit: 431.
    case headerListTooLarge(limit: Int)
    /// The HTTP/1.1 request could not be parsed: 400.
    case malformed
    /// The HTTP/1.1 request is malformed in the way `detail` says: 400.
    case malformedBecause(String)
    /// The HTTP/2 connection's unfinished request bodies together would pass the limit: 429.
    case connectionBodiesTooLarge(limit: Int)
    /// The unfinished request bodies of all connections together would pass the server's
    /// limit: 503, with `Retry-After`. Not 429 as for one connection: the client refused may
    /// hold little itself, the server is full because of everyone (RFC 9110 §15.6.4: a
    /// temporary overload), and its retry after the others' bodies have arrived may succeed.
    case serverBodiesTooLarge(limit: Int)
    /// The request's `Transfer-Encoding` applies a coding other than (only) `chunked`: 501, as
    /// RFC 9112 §6.1 asks of a server that does not understand a transfer coding.
    case unsupportedTransferEncoding(String)

    var status: Int {
        switch self {
        case .bodyTooLarge: 413
        case .headerListTooLarge: 431
        case .malformed, .malformedBecause: 400
        case .unsupportedTransferEncoding: 501
        case .connectionBodiesTooLarge: 429
        case .serverBodiesTooLarge: 503
        }
    }

    var message: String {
        switch self {
        case .bodyTooLarge(let limit): "request body exceeds the limit of \(limit) bytes"
        case .headerListTooLarge(let limit): "request header list exceeds the limit of \(limit) bytes"
        case .malformed: "malformed HTTP request"
        case .malformedBecause(let detail): "malformed HTTP request: \(detail)"
        case .connectionBodiesTooLarge(let limit):
            "the unfinished request bodies on this connection exceed the limit of \(limit) bytes; send fewer at once"
        case .serverBodiesTooLarge(let limit):
            "the unfinished request bodies on all connections exceed the server's limit of \(limit) bytes; retry later"
        case .unsupportedTransferEncoding(let value):
            "Transfer-Encoding '\(value.prefix(60))' is not supported; send the body as is or chunked"
        }
    }

    var response: HTTPResponse {
        var response = HTTPResponse.jsonError(status: self.status, message: self.message)
        if case .serverBodiesTooLarge = self { response.headers.append(name: "retry-after", value: "1") }
        return response
    }
}
