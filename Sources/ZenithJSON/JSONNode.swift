internal import CJSONC

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        // Explicitly: the implicit String-to-pointer conversion copies the key into a new array.
        let found = key.withCString { json_object_object_get_ex(object, $0, &member) }
        guard found != 0 else { return nil }
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

    /// The number of elements of an array; `nil` for other kinds.
    public var count: Int? {
        guard kind == .array else { return nil }
        return json_object_array_length(object)
    }

    /// Element `index` of an array, `0 <= index < count`; `nil` for other kinds or out of range.
    public subscript(index: Int) -> JSONNode? {
        guard kind == .array, index >= 0, index < json_object_array_length(object) else { return nil }
        return JSONNode(document: document, object: json_object_array_get_idx(object, index))
    }

    /// The first key of an object, in document order, that starts with `prefix` (`hasPrefix`);
    /// `nil` when there is none or the node is no object. Reads the keys in place.
    public func firstKey(withPrefix prefix: String) -> String? {
        guard kind == .object else { return nil }
        var iterator = json_object_iter_begin(object)
        var end = json_object_iter_end(object)
        let found: String? = prefix.withCString { prefixPointer in
            let prefixLength = strlen(prefixPointer)
            while json_object_iter_equal(&iterator, &end) == 0 {
                // The byte comparison only screens; `hasPrefix` decides, as it compares characters.
                if let name = json_object_iter_peek_name(&iterator), strncmp(name, prefixPointer, prefixLength) == 0 {
                    let key = String(cString: name)
                    if key.hasPrefix(prefix) { return key }
                }
                json_object_iter_next(&iterator)
            }
            return nil
        }
        return found
    }

    /// Throws what `value()` would throw, without building the value: checks that this node and
    /// everything under it holds only what JSON can carry (json-c reads NaN and Infinity).
    public func validate() throws(JSONError) {
        try Self.validate(object)
    }

    private static func validate(_ object: OpaquePointer?) throws(JSONError) {
        guard let object else { return }
        switch json_object_get_type(object) {
        case json_type_double:
            guard json_object_get_double(object).isFinite else { throw JSONValue.nonFiniteError }
        case json_type_int:
            guard !JSONValue.isClampedInteger(object) else { throw JSONValue.integerRangeError }
        case json_type_array:
            for i in 0..<json_object_array_length(object) { try validate(json_object_array_get_idx(object, i)) }
        case json_type_object:
            var iterator = json_object_iter_begin(object)
            var end = json_object_iter_end(object)
            while json_object_iter_equal(&iterator, &end) == 0 {
                try validate(json_object_iter_peek_value(&iterator))
                json_object_iter_next(&iterator)
            }
        default:
            break
        }
    }

    /// Converts this node and everything under it into a `JSONValue`.
    public func value() throws(JSONError) -> JSONValue {
        try JSONValue(converting: object)
    }
}
