/// Why a JSON document of the operator API (a request body or the state file) is refused: the
/// first field that is unknown, missing, of the wrong type or out of range, named by its path.
struct JSONFieldError: Error, Sendable, Equatable, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}
