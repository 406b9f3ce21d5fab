import NIOCore

/// What a request's caller is told, once, on the connection's event loop.
typealias HTTPClientCompletion = @Sendable (Result<HTTPResponse, HTTPClientError>) -> Void

/// The protocol-specific half of an ``HTTPClientConnection``: the channel handler that owns the
/// connection's request state. Every method is called on the channel's event loop.
protocol HTTPClientChannelHandler: AnyObject {
    /// Sends `request`, or completes it at once with the reason it cannot be sent. May call
    /// `completion` before returning (refused requests) — never for a request that was sent.
    func submit(_ request: HTTPRequest, timeout: TimeAmount?, completion: @escaping HTTPClientCompletion)

    /// Closes the connection (HTTP/2: after sending GOAWAY); outstanding requests fail with
    /// ``HTTPClientError/connectionClosed``.
    func closeConnection()
}

extension TimeAmount {
    /// A `Duration` as a NIO time amount, saturating instead of trapping on overflow.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (wholeNanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self = .nanoseconds(overflow ? (seconds < 0 ? .min : .max) : wholeNanos &+ attoseconds / 1_000_000_000)
    }
}

extension HTTPHeaderList.Field {
    /// The name is not empty and neither name nor value holds a CR, LF or NUL, which would split
    /// or truncate the field on the wire.
    var isWellFormed: Bool {
        !self.name.isEmpty && !self.name.utf8.contains(where: Self.isForbidden)
            && !self.value.utf8.contains(where: Self.isForbidden)
    }

    private static func isForbidden(_ byte: UInt8) -> Bool {
        byte == 0 || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }
}
