/// A complete HTTP request, body included, as handed to an ``HTTPHandler``.
///
/// The transport has already enforced the configured limits (body and header-list size) before
/// building it, so a handler never sees an oversized request.
public struct HTTPRequest: Sendable {
    /// The method as sent (`GET`, `POST`, ...). Methods the transport does not know are passed on
    /// so that routing can answer 405.
    public var method: String
    /// The request target: path and query (`/v2/models/m/infer?x=1`).
    public var path: String
    /// The header fields, names lowercased. For HTTP/2, `:authority` appears as `host`.
    public var headers: HTTPHeaderList
    /// The request body.
    public var body: [UInt8]
    /// The protocol the request arrived over.
    public var version: HTTPVersion
    /// The peer's address as `ip:port`, if known.
    public var remoteAddress: String?
    /// When the request's header block was complete, stamped on the event loop that read it
    /// (`DispatchTime` uptime nanoseconds, `CLOCK_MONOTONIC`): the request's arrival, before any
    /// wait for its body, its handler or a busy loop. `nil` for a request not read from a socket.
    public var receivedNanos: UInt64?

    /// Creates a request; the server does this, tests and routers may too.
    public init(
        method: String,
        path: String,
        headers: HTTPHeaderList = [:],
        body: [UInt8] = [],
        version: HTTPVersion = .http1_1,
        remoteAddress: String? = nil,
        receivedNanos: UInt64? = nil
    ) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.version = version
        self.remoteAddress = remoteAddress
        self.receivedNanos = receivedNanos
    }

    /// The path without its query string.
    public var pathWithoutQuery: Substring {
        if let question = self.path.utf8.firstIndex(of: UInt8(ascii: "?")) {
            return self.path[..<question]
        }
        return self.path[...]
    }

    /// The query string after `?`, or `nil` when there is none.
    public var query: Substring? {
        guard let question = self.path.utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        return self.path[self.path.index(after: question)...]
    }
}
