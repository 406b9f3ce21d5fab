/// A batch handed to a worker, named so its completion can be reported back.
public struct BatchID: Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "batch#\(rawValue)" }
}
