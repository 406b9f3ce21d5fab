/// An ordered list of header fields whose names are stored lowercased.
///
/// Lookups are case-insensitive because names are lowercased on the way in; values are kept as
/// received. Duplicate names are allowed and keep their order.
public struct HTTPHeaderList: Sendable, Hashable {
    /// One header field.
    public struct Field: Sendable, Hashable {
        /// The field name, lowercased.
        public var name: String
        /// The field value, as received or given.
        public var value: String

        /// Creates a field, lowercasing `name`.
        public init(name: String, value: String) {
            self.name = HTTPHeaderList.lowercased(name)
            self.value = value
        }

        init(lowercasedName name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The fields in order.
    public private(set) var fields: [Field]

    /// Creates an empty list.
    public init() {
        self.fields = []
    }

    /// Creates a list from `(name, value)` pairs, lowercasing the names.
    public init(_ pairs: [(String, String)]) {
        self.fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// The number of fields.
    public var count: Int { self.fields.count }

    /// Whether the list has no fields.
    public var isEmpty: Bool { self.fields.isEmpty }

    /// The value of the first field called `name` (any case), or `nil`.
    public subscript(name: String) -> String? {
        let name = Self.lowercased(name)
        for field in self.fields where field.name == name {
            return field.value
        }
        return nil
    }

    /// Every value of the fields called `name` (any case), in order.
    public func values(for name: String) -> [String] {
        let name = Self.lowercased(name)
        return self.fields.compactMap { $0.name == name ? $0.value : nil }
    }

    /// Whether a field called `name` (any case) is present.
    public func contains(_ name: String) -> Bool {
        self[name] != nil
    }

    /// Appends a field, lowercasing `name`.
    public mutating func append(name: String, value: String) {
        self.fields.append(Field(name: name, value: value))
    }

    /// Removes every field called `name` (any case).
    public mutating func remove(name: String) {
        let name = Self.lowercased(name)
        self.fields.removeAll { $0.name == name }
    }

    /// Replaces the fields called `name` (any case) with one field, or appends it.
    public mutating func replaceOrAdd(name: String, value: String) {
        self.remove(name: name)
        self.append(name: name, value: value)
    }

    /// Appends a field whose name the caller knows to be lowercase (HTTP/2 enforces it).
    mutating func append(lowercasedName name: String, value: String) {
        self.fields.append(Field(lowercasedName: name, value: value))
    }

    mutating func reserveCapacity(_ capacity: Int) {
        self.fields.reserveCapacity(capacity)
    }

    /// ASCII lowercasing that does not allocate when the name is already lowercase.
    static func lowercased(_ name: String) -> String {
        var hasUpper = false
        for byte in name.utf8 where byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") {
            hasUpper = true
            break
        }
        guard hasUpper else { return name }
        return String(
            decoding: name.utf8.map { ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) ? $0 | 0x20 : $0 },
            as: UTF8.self)
    }
}

extension HTTPHeaderList: RandomAccessCollection {
    public var startIndex: Int { self.fields.startIndex }
    public var endIndex: Int { self.fields.endIndex }
    public subscript(position: Int) -> Field { self.fields[position] }
}

extension HTTPHeaderList: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }
}

extension HTTPHeaderList: CustomStringConvertible {
    public var description: String {
        "[" + self.fields.map { "\($0.name): \($0.value)" }.joined(separator: ", ") + "]"
    }
}
