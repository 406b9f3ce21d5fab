/// A server address, from `http://HOST:PORT` (path ignored).
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    /// Host name or address.
    public var host: String
    /// TCP port.
    public var port: Int

    /// Creates an endpoint.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `http://HOST:PORT[/...]` or `HOST:PORT`; `nil` when it is neither. IPv6 hosts in brackets.
    public init?(url: String) {
        var rest = Substring(url)
        if rest.hasPrefix("http://") { rest = rest.dropFirst(7) } else if rest.contains("://") { return nil }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
            (1...65535).contains(port)
        else { return nil }
        var host = rest[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { return nil }
        // `zenith serve` announces its bind address; 0.0.0.0 is reachable as loopback.
        self.init(host: host == "0.0.0.0" ? "127.0.0.1" : String(host), port: port)
    }

    public var description: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}
