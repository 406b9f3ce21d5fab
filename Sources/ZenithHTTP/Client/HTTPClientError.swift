/// Why an ``HTTPClientConnection`` could not connect or could not complete a request.
///
/// Every case is a single line when printed, so a command-line tool can show it as is.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection could not be established: refused, unreachable, DNS failure, timeout while
    /// connecting, or a peer that did not answer the HTTP/2 handshake. The reason is one line
    /// (`connection refused`, `connect timed out`, ...).
    case connectFailed(String)
    /// The peer closed the connection, or ``HTTPClientConnection/close()`` was called, before
    /// the response was complete. The request may or may not have been processed.
    case connectionClosed
    /// No complete response within the request's timeout.
    case timedOut
    /// The peer reset the stream (HTTP/2 RST_STREAM) with this error code, for example
    /// REFUSED_STREAM (7), which guarantees the request was not processed.
    case streamReset(UInt32)
    /// The request would exceed the peer's SETTINGS_MAX_CONCURRENT_STREAMS; it was not sent.
    case tooManyStreams
    /// The peer broke the protocol (malformed frames or messages); the connection is closed.
    case protocolError(String)

    public var description: String {
        switch self {
        case .connectFailed(let reason): reason
        case .connectionClosed: "connection closed before the response was complete"
        case .timedOut: "request timed out"
        case .streamReset(let code): "stream reset by the server (\(Self.http2ErrorName(code)))"
        case .tooManyStreams: "too many concurrent streams for the server's limit"
        case .protocolError(let reason): "protocol error: \(reason)"
        }
    }

    /// The RFC 9113 §7 name of an HTTP/2 error code.
    static func http2ErrorName(_ code: UInt32) -> String {
        let names = [
            "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
            "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
            "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
        ]
        return code < names.count ? names[Int(code)] : "error code \(code)"
    }
}
