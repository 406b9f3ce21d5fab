/// The error of a server that could not be started.
public struct ServerProcessError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var description: String

    init(_ description: String) { self.description = description }
}
