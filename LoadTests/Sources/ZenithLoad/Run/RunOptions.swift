public import ZenithHTTP

/// How a run connects and how long it waits for stragglers.
public struct RunOptions: Sendable {
    /// Client connections (requests are spread round-robin).
    public var connections: Int
    /// HTTP/2 (h2c, many streams per connection) or HTTP/1.1.
    public var version: HTTPVersion
    /// After the last send, how long to wait for answers before counting the rest as lost.
    public var drainSeconds: Double
    /// The sender's spin window, microseconds.
    public var spinMicros: Int
    /// The operator API's bearer token, if any.
    public var operatorToken: String?
    /// The CPUs a scenario's interference is pinned to (`taskset -c` list: the server's, to
    /// share its cores); `nil` leaves it to the scheduler.
    public var interferenceCPUs: String?

    /// Creates options.
    public init(
        connections: Int = 16, version: HTTPVersion = .http2, drainSeconds: Double = 10, spinMicros: Int = 200,
        operatorToken: String? = nil, interferenceCPUs: String? = nil
    ) {
        self.connections = connections
        self.version = version
        self.drainSeconds = drainSeconds
        self.spinMicros = spinMicros
        self.operatorToken = operatorToken
        self.interferenceCPUs = interferenceCPUs
    }
}
