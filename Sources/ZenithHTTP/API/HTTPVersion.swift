/// The protocol a request arrived over.
///
/// HTTP/1.0 requests are served by the HTTP/1.1 machinery and reported as ``http1_1``.
public enum HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    /// HTTP/1.1 (or HTTP/1.0), served by NIOHTTP1.
    case http1_1
    /// HTTP/2 over cleartext TCP with prior knowledge (h2c), served by libnghttp2.
    case http2

    public var description: String {
        switch self {
        case .http1_1: "HTTP/1.1"
        case .http2: "HTTP/2"
        }
    }
}
