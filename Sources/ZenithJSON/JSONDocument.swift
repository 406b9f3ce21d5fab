internal import CJSONC

/// A JSON document held in json-c's own tree, read in place.
///
/// `JSONValue` copies every element into Swift values, which is what small documents want. An
/// inference request carries tens of thousands of numbers, so this type keeps json-c's tree and
/// lets the caller convert only what it needs: `JSONNode.value()` for the small parts,
/// `JSONNode.appendFloats(to:limit:)` for tensor data.
///
/// Sendable: the tree is never changed after parsing, and every accessor uses json-c's read-only
/// functions (none that serialises, which caches text inside the object), so threads may read
/// one document at once.
public final class JSONDocument: @unchecked Sendable {
    let root: OpaquePointer?

    /// Parses a complete JSON text with json-c in strict mode, with the same rules as
    /// `JSONValue(parsing:maxDepth:)`.
    /// - Parameters:
    ///   - bytes: UTF-8 JSON text.
    ///   - maxDepth: deepest nesting accepted.
    public init(parsing bytes: some Collection<UInt8>, maxDepth: Int = 64) throws(JSONError) {
        root = try JSONValue.parseJSONC(bytes, maxDepth: maxDepth)
    }

    deinit {
        json_object_put(root)
    }

    /// The top-level value.
    public var rootNode: JSONNode { JSONNode(document: self, object: root) }
}
