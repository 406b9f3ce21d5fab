/// Why a JSON text could not be read.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in words fit for an API client.
    public var reason: String
    /// Byte offset in the input where json-c stopped, when known.
    public var offset: Int?

    public init(_ reason: String, offset: Int? = nil) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        offset.map { "\(reason) at byte \($0)" } ?? reason
    }
}
