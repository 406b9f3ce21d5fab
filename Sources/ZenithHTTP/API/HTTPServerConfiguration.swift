/// Where the server listens and the limits it enforces before spending memory on a request.
public struct HTTPServerConfiguration: Sendable {
    /// The address to bind. Default `0.0.0.0`.
    public var host: String
    /// The port to bind; `0` picks an ephemeral port (see ``HTTPServer/listeningPort()``). Default 8000.
    public var port: Int
    /// The largest request body accepted; larger ones get 413. Default 16 MiB.
    public var maxBodyBytes: Int
    /// The largest header list accepted (names plus values; HTTP/2 adds 32 bytes per field as
    /// SETTINGS_MAX_HEADER_LIST_SIZE defines). Larger ones get 431. Default 64 KiB.
    public var maxHeaderListBytes: Int
    /// Request-body bytes one HTTP/2 connection may hold at once over all its unfinished
    /// streams (each stream alone is capped by `maxBodyBytes`); the stream whose data would pass
    /// it is answered 429 and its body dropped. The connection's flow-control window is no
    /// larger. At least `maxBodyBytes`; default 32 MiB (two of the largest bodies).
    public var maxConnectionBodyBytes: Int
    /// Request-body bytes all connections together may hold at once in bodies still arriving
    /// (HTTP/1.1 and HTTP/2); the request whose data would pass it is answered 503 with
    /// `Retry-After` and its body dropped. No HTTP/2 connection window is larger. At least
    /// `maxConnectionBodyBytes`; default 256 MiB.
    public var maxProcessBodyBytes: Int
    /// SETTINGS_MAX_CONCURRENT_STREAMS for HTTP/2; extra streams are refused with
    /// RST_STREAM(REFUSED_STREAM). Default 128.
    public var maxConcurrentStreams: Int
    /// Open connections at most. At the limit a new connection displaces the oldest one of the
    /// client address holding the most (if it holds more than the newcomer's); else it is closed
    /// as soon as it is accepted. Default 1024.
    public var maxConnections: Int
    /// Open connections one client address may hold; more are closed as soon as they are
    /// accepted. Default 256.
    public var maxConnectionsPerClient: Int
    /// A connection with no request in progress and no traffic for this long is closed
    /// (HTTP/2 sends GOAWAY first). Default 60 s.
    public var idleTimeout: Duration
    /// HTTP/1.1 requests read ahead of their responses at most; past it the connection stops
    /// reading until responses are written. Default 64.
    public var maxPipelinedRequests: Int
    /// Longest an HTTP/1.1 request may take to arrive, head and body, from its first byte; a
    /// slower one is answered 408 and its connection closed. Default 30 s.
    public var requestTimeout: Duration
    /// `nil`: connections are served on the process's shared event loops. A number: this server
    /// runs on its own event loop threads, which nothing else queues work on: the data port as
    /// many as the cores the process may use (the shared group has one per core of the machine,
    /// which on a pinned server only adds context switches), the health listener one, so that it
    /// answers however loaded the data port is. Default `nil`.
    public var eventLoopThreads: Int?

    /// Creates a configuration; every parameter has the documented default.
    public init(
        host: String = "0.0.0.0",
        port: Int = 8000,
        maxBodyBytes: Int = 16 * 1024 * 1024,
        maxHeaderListBytes: Int = 64 * 1024,
        maxConnectionBodyBytes: Int = 32 * 1024 * 1024,
        maxProcessBodyBytes: Int = 256 * 1024 * 1024,
        maxConcurrentStreams: Int = 128,
        maxConnections: Int = 1024,
        maxConnectionsPerClient: Int = 256,
        idleTimeout: Duration = .seconds(60),
        maxPipelinedRequests: Int = 64,
        requestTimeout: Duration = .seconds(30),
        eventLoopThreads: Int? = nil
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderListBytes = maxHeaderListBytes
        self.maxConnectionBodyBytes = max(maxConnectionBodyBytes, maxBodyBytes)
        self.maxProcessBodyBytes = max(maxProcessBodyBytes, self.maxConnectionBodyBytes)
        self.maxConcurrentStreams = maxConcurrentStreams
        self.maxConnections = maxConnections
        self.maxConnectionsPerClient = maxConnectionsPerClient
        self.idleTimeout = idleTimeout
        self.maxPipelinedRequests = maxPipelinedRequests
        self.requestTimeout = requestTimeout
        self.eventLoopThreads = eventLoopThreads.map { max($0, 1) }
    }
}
