/// Why a model folder could not be loaded: the file at fault and what is wrong with it.
public struct ModelLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Path of the offending file, as given to the loader.
    public var file: String
    public var reason: String

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}
