/// Why one endpoint's call failed, as `sloctl` reports it on one line.
public enum OperatorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection: refused, unreachable, DNS, connect timeout.
    case unreachable(String)
    /// The server answered with an error status; `reason` is its `{"error": ...}` text.
    case server(status: Int, reason: String)
    /// The connection failed after it was established (closed, reset, timed out).
    case transport(String)
    /// The answer was not the JSON the operator API promises.
    case badResponse(String)

    public var description: String {
        switch self {
        case .unreachable(let reason): reason
        case .server(let status, let reason): "\(reason) (HTTP \(status))"
        case .transport(let reason): reason
        case .badResponse(let reason): "unexpected response: \(reason)"
        }
    }
}
