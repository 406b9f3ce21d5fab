/// Why a scenario file (or a trace it names) cannot be used; the message names the field.
public struct ScenarioError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The human-readable reason, e.g. `rate.capacity_multiple must be a positive number`.
    public var message: String

    /// Creates an error with `message`.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
