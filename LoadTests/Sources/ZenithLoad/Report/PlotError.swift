/// Why the plots were not drawn.
public struct PlotError: Error, Sendable, CustomStringConvertible {
    /// The reason, for the report and the console.
    public var description: String

    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
