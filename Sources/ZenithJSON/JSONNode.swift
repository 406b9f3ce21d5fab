internal import CJSONC

/// One value inside a `JSONDocument`; it keeps the document alive.
public struct JSONNode {
    /// The kind of a JSON value.
    public enum Kind: String, Sendable {
        case null, bool, int, double, string, array, object

        /// The word an error message uses for it ("a number", "an array").
        public var phrase: String {
            switch self {
            case .null: "null"
            case .bool: "a boolean"
            case .int, .double: "a number"
            case .string: "a string"
            case .array: "an array"
            case .object: "an object"
            }
        }
    }

    let document: JSONDocument
    let object: OpaquePointer?

    public var kind: Kind { Self.kind(of: object) }

    static func kind(of object: OpaquePointer?) -> Kind {
        guard let object else { return .null }
        switch json_object_get_type(object) {
        case json_type_boolean: return .bool
        case json_type_int: return .int
        case json_type_double: return .double
        case json_type_string: return .string
        case json_type_array: return .array
        case json_type_object: return .object
        default: return .null
        }
    }

    /// The member `key` of an object; `nil` for a missing key or a node that is no object.
    public subscript(key: String) -> JSONNode? {
        guard kind == .object else { return nil }
        var member: OpaquePointer?
        guard json_object_object_get_ex(object, key, &member) != 0 else { return nil }
        return JSONNode(document: document, object: member)
    }

    /// The keys of an object in document order; empty for other kinds.
    public var keys: [String] {
        guard kind == .object else { return [] }
        var keys: [String] = []
        var iterator = json_object_iter_begin(object)
        var end = json_object_iter_end(object)
        while json_object_iter_equal(&iterator, &end) == 0 {
            keys.append(String(cString: json_object_iter_peek_name(&iterator)))
            json_object_iter_next(&iterator)
        }
        return keys
    }

    /// The elements of an array; `nil` for other kinds.
    public var elements: [JSONNode]? {
        guard kind == .array else { return nil }
        return (0..<json_object_array_length(object)).map {
            JSONNode(document: document, object: json_object_array_get_idx(object, $0))
        }
    }

    /// Converts this node and everything under it into a `JSONValue`.
    public func value() throws(JSONError) -> JSONValue {
        try JSONValue(converting: object)
    }
}
