/// A request the transport answers itself, without calling the handler.
enum TransportRejection: Sendable, Hashable {
    /// The body (declared or streamed) is larger than the configured limit: 413.
    case bodyTooLarge(limit: Int)
    /// The header list is larger than the configured limit: 431.
    case headerListTooLarge(limit: Int)
    /// The HTTP/1.1 request could not be parsed: 400.
    case malformed

    var status: Int {
        switch self {
        case .bodyTooLarge: 413
        case .headerListTooLarge: 431
        case .malformed: 400
        }
    }

    var message: String {
        switch self {
        case .bodyTooLarge(let limit): "request body exceeds the limit of \(limit) bytes"
        case .headerListTooLarge(let limit): "request header list exceeds the limit of \(limit) bytes"
        case .malformed: "malformed HTTP request"
        }
    }

    var response: HTTPResponse {
        .jsonError(status: self.status, message: self.message)
    }
}
