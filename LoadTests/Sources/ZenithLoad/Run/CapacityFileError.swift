/// Why a capacity file (`zenith-load capacity --json`) cannot scale a run.
public struct CapacityFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The human-readable reason, naming the file.
    public var message: String

    /// Creates an error with `message`.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
