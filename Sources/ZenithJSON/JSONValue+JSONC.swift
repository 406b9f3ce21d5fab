internal import CJSONC

extension JSONValue {
    /// Parses a complete JSON text with json-c in strict mode.
    ///
    /// The whole input must be one JSON value (surrounding whitespace allowed); truncated
    /// input, trailing bytes and nesting deeper than `maxDepth` are errors.
    /// - Parameters:
    ///   - bytes: UTF-8 JSON text.
    ///   - maxDepth: deepest nesting accepted, which bounds json-c's stack use.
    public init(parsing bytes: some Collection<UInt8>, maxDepth: Int = 64) throws(JSONError) {
        let root = try Self.parseJSONC(bytes, maxDepth: maxDepth)
        defer { json_object_put(root) }
        self = try Self(converting: root)
    }

    public init(parsing text: String, maxDepth: Int = 64) throws(JSONError) {
        try self.init(parsing: Array(text.utf8), maxDepth: maxDepth)
    }

    /// Runs json-c's tokenizer over the input; the caller owns the returned object.
    static func parseJSONC(_ bytes: some Collection<UInt8>, maxDepth: Int) throws(JSONError) -> OpaquePointer? {
        // Contiguous input (an array or a slice of one, as request bodies are) is read in place:
        // copying it through the generic `Collection` interface costs tens of nanoseconds a byte.
        let parsed: Result<OpaquePointer?, JSONError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONError) in try parseJSONC(UnsafeRawBufferPointer(buffer), maxDepth: maxDepth) }
        }
        if let parsed { return try parsed.get() }
        let copied = Array(bytes).withUnsafeBytes { buffer in
            Result { () throws(JSONError) in try parseJSONC(buffer, maxDepth: maxDepth) }
        }
        return try copied.get()
    }

    private static func parseJSONC(_ bytes: UnsafeRawBufferPointer, maxDepth: Int) throws(JSONError) -> OpaquePointer? {
        guard bytes.count < Int(Int32.max) else { throw JSONError("JSON text is too large") }
        let depth = Int32(max(1, min(maxDepth, Int(Int32.max))))
        if depth == ThreadTokener.depth {
            guard let tokener = ThreadTokener.current() else { throw JSONError("out of memory") }
            return try parseJSONC(bytes, with: tokener)
        }
        guard let tokener = json_tokener_new_ex(depth) else { throw JSONError("out of memory") }
        defer { json_tokener_free(tokener) }
        return try parseJSONC(bytes, with: tokener)
    }

    private static func parseJSONC(_ bytes: UnsafeRawBufferPointer, with tokener: UnsafeMutablePointer<json_tokener>) throws(JSONError) -> OpaquePointer? {
        // Strings must be UTF-8: json-c would otherwise keep any bytes, and Swift would read them
        // with replacement characters, so a name that is not valid UTF-8 could match another.
        json_tokener_set_flags(tokener, Int32(JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8))
        let chars = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
        var object = json_tokener_parse_ex(tokener, chars, Int32(bytes.count))
        var error = json_tokener_get_error(tokener)
        var end = Int(json_tokener_get_parse_end(tokener))
        if error == json_tokener_continue {
            // The input is complete, but a top-level scalar (`1`, `true`, `null`) might still go
            // on as far as json-c knows: the terminating NUL ends it; a truncated document stays
            // an error.
            object = json_tokener_parse_ex(tokener, "", 1)
            error = json_tokener_get_error(tokener)
            if error != json_tokener_success {
                json_object_put(object)
                throw JSONError("truncated JSON", offset: bytes.count)
            }
            end = bytes.count
        }
        guard error == json_tokener_success else {
            let message = json_tokener_error_desc(error).map { String(cString: $0) } ?? "invalid JSON"
            throw JSONError("invalid JSON: \(message)", offset: end)
        }
        if bytes[end...].contains(where: { !Self.isWhitespace($0) }) {
            json_object_put(object)
            throw JSONError("unexpected bytes after the JSON value", offset: end)
        }
        // json-c returns NULL both for a parsed `null` and for "need more input"; the
        // tokenizer state above tells them apart, so NULL here is the JSON value null.
        return object
    }

    static let integerRangeError = JSONError(
        "invalid JSON: an integer at or beyond the limits of 64 bits (write it with an exponent)")

    /// Whether a json-c integer is one its parser clamped: json-c saturates integers that do
    /// not fit (a negative one at `Int64.min`, a positive one at `UInt64.max`) without an error,
    /// so those two values cannot be told from a clamped one and are refused.
    static func isClampedInteger(_ object: OpaquePointer?) -> Bool {
        let signed = json_object_get_int64(object)
        return signed == .min || (signed == .max && json_object_get_uint64(object) == .max)
    }

    /// An integer: `.int` when it fits in `Int64`, `.double` for the larger unsigned ones json-c
    /// reads (up to `UInt64.max`, exclusive), so no value is silently clamped.
    static func integer(_ object: OpaquePointer?) throws(JSONError) -> JSONValue {
        guard !isClampedInteger(object) else { throw integerRangeError }
        let signed = json_object_get_int64(object)
        if signed == .max, json_object_get_uint64(object) > UInt64(Int64.max) {
            return .double(Double(json_object_get_uint64(object)))
        }
        return .int(signed)
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    static let nonFiniteError = JSONError("invalid JSON: NaN and Infinity are not numbers in JSON")

    /// Converts json-c's tree; json-c accepts NaN and Infinity even in strict mode, JSON does not.
    init(converting object: OpaquePointer?) throws(JSONError) {
        guard let object else {
            self = .null
            return
        }
        switch json_object_get_type(object) {
        case json_type_null:
            self = .null
        case json_type_boolean:
            self = .bool(json_object_get_boolean(object) != 0)
        case json_type_int:
            self = try Self.integer(object)
        case json_type_double:
            let value = json_object_get_double(object)
            guard value.isFinite else { throw Self.nonFiniteError }
            self = .double(value)
        case json_type_string:
            let length = Int(json_object_get_string_len(object))
            let pointer = json_object_get_string(object)
            self = .string(
                pointer.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self) } ?? "")
        case json_type_array:
            let count = json_object_array_length(object)
            var items: [JSONValue] = []
            items.reserveCapacity(count)
            for i in 0..<count { items.append(try JSONValue(converting: json_object_array_get_idx(object, i))) }
            self = .array(items)
        case json_type_object:
            var result = JSONObject()
            var iterator = json_object_iter_begin(object)
            var end = json_object_iter_end(object)
            while json_object_iter_equal(&iterator, &end) == 0 {
                let key = String(cString: json_object_iter_peek_name(&iterator))
                // json-c's objects are hash tables with unique keys.
                result.appendUnique(key, try JSONValue(converting: json_object_iter_peek_value(&iterator)))
                json_object_iter_next(&iterator)
            }
            self = .object(result)
        default:
            self = .null
        }
    }
}
