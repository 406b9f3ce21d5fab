import ZenithHTTP

/// The operator API's listener and where its targets persist (`zenith serve --operator-*`,
/// `--state-dir`, `--no-operator`).
public struct OperatorConfiguration: Sendable {
    /// The address to listen on; loopback by default, since without a token the API is open.
    public var host: String
    /// The port; 0 picks a free one (`ZenithApplication.operatorListeningPort()`).
    public var port: Int
    /// The bearer token every request must carry; `nil` leaves the API open.
    public var token: String?
    /// Where `slo-targets.json` is kept; `nil` keeps targets in memory only.
    public var stateDirectory: String?
    /// Whether to listen at all. Without the listener (`--no-operator`) targets saved in the
    /// state directory still apply at start-up, they just cannot be changed.
    public var listens: Bool
    /// Largest request body; operator bodies are a few fields.
    public var maxBodyBytes: Int

    /// - Parameters: see the properties; every one has the CLI's default.
    public init(
        host: String = "127.0.0.1", port: Int = 8001, token: String? = nil, stateDirectory: String? = nil,
        listens: Bool = true, maxBodyBytes: Int = 64 * 1024
    ) {
        self.host = host
        self.port = port
        self.token = token
        self.stateDirectory = stateDirectory
        self.listens = listens
        self.maxBodyBytes = maxBodyBytes
    }

    /// The listener's transport configuration.
    var http: HTTPServerConfiguration {
        HTTPServerConfiguration(host: host, port: port, maxBodyBytes: maxBodyBytes)
    }
}
