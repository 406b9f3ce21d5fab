import ZenithJSON

/// A JSON object read field by field for the operator API, which refuses rather than ignores:
/// unknown fields and values of the wrong type are errors naming the field's path, so a typo in
/// `sloctl` or in a hand-edited state file is reported instead of silently doing nothing.
struct StrictJSONObject {
    let object: JSONObject
    /// Where the object is (`models.<model>.default`); empty for the document itself.
    let path: String

    /// - Parameters:
    ///   - value: the value that must be an object.
    ///   - path: its path, for error messages.
    ///   - allowed: the only keys it may have; `nil` for any (maps keyed by names).
    init(_ value: JSONValue, path: String, allowed: [String]?) throws(JSONFieldError) {
        guard let object = value.objectValue else {
            throw JSONFieldError(path.isEmpty ? "the document must be a JSON object" : "\(path) must be an object")
        }
        if let allowed, let unknown = object.keys.first(where: { !allowed.contains($0) }) {
            let expected = allowed.map { "'\($0)'" }.joined(separator: ", ")
            throw JSONFieldError("unknown field '\(Self.join(path, unknown))' (expected \(expected))")
        }
        self.object = object
        self.path = path
    }

    /// The path of `key` in this object.
    func path(of key: String) -> String { Self.join(path, key) }

    /// The number `key` holds; `nil` when absent, or when `null` and `nullable`.
    func number(_ key: String, nullable: Bool = false) throws(JSONFieldError) -> Double? {
        guard let value = object[key] else { return nil }
        if value.isNull, nullable { return nil }
        guard let number = value.doubleValue else { throw JSONFieldError("\(path(of: key)) must be a number") }
        return number
    }

    /// The string `key` holds; `nil` when absent.
    func string(_ key: String) throws(JSONFieldError) -> String? {
        guard let value = object[key] else { return nil }
        guard let string = value.stringValue else { throw JSONFieldError("\(path(of: key)) must be a string") }
        return string
    }

    /// The object `key` holds; `nil` when absent.
    func object(_ key: String, allowed: [String]?) throws(JSONFieldError) -> StrictJSONObject? {
        guard let value = object[key] else { return nil }
        return try StrictJSONObject(value, path: path(of: key), allowed: allowed)
    }

    /// The members, in document order.
    var members: [(key: String, value: JSONValue)] { object.entries }

    private static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}
