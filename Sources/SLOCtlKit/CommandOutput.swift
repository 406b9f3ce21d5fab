/// What a command prints and whether it failed, collected before anything is written so tests can
/// look at it and the executable can print it at once.
public struct CommandOutput: Sendable, Equatable {
    public var stdout = ""
    /// One `sloctl: <endpoint>: <reason>` line per failed endpoint.
    public var stderr = ""
    /// Some endpoint failed: the process exits with 1.
    public var failed = false

    public init() {}
}
