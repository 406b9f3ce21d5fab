public import ZenithHTTP

/// Where the harness sends: a fixed set of connections, addressed by index.
///
/// The sender spreads requests over them round-robin; `send` must return at once (the answer
/// arrives in `completion`, on any thread) so that a slow server never delays the next send.
public protocol LoadTransport: Sendable {
    /// How many connections there are.
    var connectionCount: Int { get }

    /// Sends `request` on connection `connection` (`0..<connectionCount`).
    func send(
        _ request: HTTPRequest, on connection: Int,
        completion: @escaping @Sendable (Result<HTTPResponse, any Error>) -> Void)

    /// Closes every connection.
    func close() async
}
