/// The base URL of one Zenith operator listener: `http://HOST[:PORT][/PREFIX]`.
///
/// Only cleartext HTTP is spoken (the listener is loopback by default; TLS is a proxy's job), so
/// `https` and anything but a host, a port and a path prefix are refused when parsing.
public struct OperatorEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Why a URL is not an endpoint; the message names the URL.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// The host name or IP address (IPv6 without brackets).
    public var host: String
    /// The TCP port; 80 when the URL names none.
    public var port: Int
    /// A path prefix in front of `/v2/slo...` (`""` or `/something`, no trailing slash), for an
    /// operator API behind a proxy.
    public var pathPrefix: String

    /// Parses `http://HOST[:PORT][/PREFIX]`.
    ///
    /// - Parameter text: The URL as given on the command line.
    /// - Throws: ``ParseError`` naming what is wrong.
    public init(parsing text: String) throws(ParseError) {
        func failure(_ reason: String) -> ParseError {
            ParseError(description: "invalid endpoint '\(text)': \(reason)")
        }
        let lowered = text.lowercased()
        if lowered.hasPrefix("https://") {
            throw failure("https is not supported; the operator API speaks cleartext HTTP/2 (use http://)")
        }
        guard lowered.hasPrefix("http://") else { throw failure("expected http://HOST:PORT") }
        let rest = text.dropFirst("http://".count)
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if path.contains("?") || path.contains("#") { throw failure("a query or fragment is not allowed") }
        if authority.contains("@") { throw failure("user information is not allowed") }
        guard !authority.isEmpty else { throw failure("the host is missing") }

        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw failure("unterminated IPv6 address") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw failure("unexpected characters after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw failure("an IPv6 address must be written in brackets") }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
        }
        guard !host.isEmpty else { throw failure("the host is missing") }
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "_" || $0 == "%" })
        else { throw failure("the host has invalid characters") }
        var port = 80
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value), portText.allSatisfy(\.isNumber) else {
                throw failure("the port must be a number from 1 to 65535")
            }
            port = value
        }
        while path.hasSuffix("/") { path.removeLast() }
        self.host = String(host)
        self.port = port
        self.pathPrefix = path
    }

    /// The canonical URL, as used in messages: `http://127.0.0.1:8001`.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "http://\(host):\(self.port)\(self.pathPrefix)"
    }
}
