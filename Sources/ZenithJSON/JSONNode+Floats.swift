internal import CJSONC

/// Why `JSONNode.appendFloats(to:limit:)` stopped.
public enum JSONFloatsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An element is not a number (a string, a boolean, null or an object).
    case notANumber(index: Int, found: JSONNode.Kind)
    /// An element is NaN, infinite, or too large for a 32-bit float.
    case notFinite(index: Int)
    /// An element is an integer json-c clamped to 64 bits (see `JSONValue.isClampedInteger`).
    case integerOutOfRange(index: Int)
    /// More than `limit` numbers.
    case tooMany(limit: Int)
    /// The value is a single number or something else, not an array.
    case notAnArray(found: JSONNode.Kind)

    public var description: String {
        switch self {
        case .notANumber(let index, let found): "element \(index) is \(found.phrase), not a number"
        case .notFinite(let index): "element \(index) is not a finite 32-bit float"
        case .integerOutOfRange(let index):
            "element \(index) is an integer at or beyond the limits of 64 bits (write it with an exponent)"
        case .tooMany(let limit): "more than \(limit) elements"
        case .notAnArray(let found): "expected an array of numbers, found \(found.phrase)"
        }
    }
}

extension JSONNode {
    /// Appends the numbers of an array to `floats`, flattening nested arrays row-major, without
    /// building a `JSONValue` for each element: the fast path for tensor `data`.
    ///
    /// - Parameters:
    ///   - floats: receives the numbers as 32-bit floats.
    ///   - limit: most numbers accepted; the walk stops as soon as it is passed, so an oversized
    ///     array costs no more than `limit` conversions.
    /// - Returns: how many numbers were appended.
    @discardableResult
    public func appendFloats(to floats: inout [Float], limit: Int) throws(JSONFloatsError) -> Int {
        guard kind == .array else { throw .notAnArray(found: kind) }
        let start = floats.count
        try Self.appendFloats(of: object, to: &floats, start: start, limit: limit)
        return floats.count - start
    }

    private static func appendFloats(
        of array: OpaquePointer?, to floats: inout [Float], start: Int, limit: Int
    ) throws(JSONFloatsError) {
        let count = json_object_array_length(array)
        for i in 0..<count {
            let element = json_object_array_get_idx(array, i)
            let index = floats.count - start
            switch json_object_get_type(element) {
            case json_type_int:
                guard index < limit else { throw .tooMany(limit: limit) }
                guard !JSONValue.isClampedInteger(element) else { throw .integerOutOfRange(index: index) }
                let signed = json_object_get_int64(element)
                // json-c keeps integers above Int64.max as unsigned.
                floats.append(signed == .max ? Float(json_object_get_uint64(element)) : Float(signed))
            case json_type_double:
                guard index < limit else { throw .tooMany(limit: limit) }
                // json-c reads NaN and Infinity even in strict mode; a double beyond
                // Float's range would become infinite.
                let value = Float(json_object_get_double(element))
                guard value.isFinite else { throw .notFinite(index: index) }
                floats.append(value)
            case json_type_array:
                try appendFloats(of: element, to: &floats, start: start, limit: limit)
            default:
                throw .notANumber(index: index, found: kind(of: element))
            }
        }
    }
}
