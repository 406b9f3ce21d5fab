/// Where the runs go: servers the harness starts itself, or one given server.
public enum ServerTarget: Sendable {
    /// Start `zenith serve` per mode (with `ServingMode.serverArguments`), with extra arguments.
    case spawn(zenith: String, extraArguments: [String])
    /// A running server (its mode is whatever it was started with).
    case external(endpoint: Endpoint, operatorEndpoint: Endpoint?)
}
