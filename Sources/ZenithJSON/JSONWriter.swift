/// Writes compact JSON text straight into bytes, without building a `JSONValue` first: for the
/// answers written once per request, where a tree's arrays and entries would be allocations made
/// only to be walked once. `JSONValue.serializedBytes` writes through the same primitives, so
/// both produce the same text.
///
/// The caller keeps the structure well formed (a key before each member's value, every begin
/// closed); the writer places the commas.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8]
    /// Whether the next member or element needs a comma before it.
    private var separate = false

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject() {
        comma()
        bytes.append(UInt8(ascii: "{"))
        separate = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        separate = true
    }

    public mutating func beginArray() {
        comma()
        bytes.append(UInt8(ascii: "["))
        separate = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        separate = true
    }

    /// An object member's name; its value comes next.
    public mutating func key(_ name: String) {
        comma()
        Self.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        separate = false
    }

    public mutating func string(_ value: String) {
        scalar { Self.appendString(value, to: &$0) }
    }

    public mutating func int(_ value: Int) {
        scalar { Self.appendInt(Int64(value), to: &$0) }
    }

    /// A number; a non-finite one, which JSON cannot carry, becomes `null`.
    public mutating func double(_ value: Double) {
        scalar { Self.appendDouble(value, to: &$0) }
    }

    public mutating func bool(_ value: Bool) {
        scalar { $0.append(contentsOf: value ? "true".utf8 : "false".utf8) }
    }

    /// A whole value (compact).
    public mutating func value(_ value: JSONValue) {
        scalar { value.write(to: &$0, indent: nil) }
    }

    /// A value with nothing inside to separate: a comma before it if needed, then `write`.
    private mutating func scalar(_ write: (inout [UInt8]) -> Void) {
        comma()
        write(&bytes)
        separate = true
    }

    private mutating func comma() {
        if separate { bytes.append(UInt8(ascii: ",")) }
    }

    // MARK: Scalars, shared with `JSONValue.write`

    static func appendInt(_ value: Int64, to out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    static func appendDouble(_ value: Double, to out: inout [UInt8]) {
        // Swift prints the shortest text that reads back to the same Double.
        if value.isFinite { out.append(contentsOf: value.description.utf8) } else { out.append(contentsOf: "null".utf8) }
    }

    /// A JSON string: quotes, backslashes and control characters escaped (RFC 8259 §7), other
    /// UTF-8 as it is.
    static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        defer { out.append(UInt8(ascii: "\"")) }
        // Names, plans and ids rarely need escaping: then the bytes go in at once.
        var string = string
        let plain = string.withUTF8 { utf8 in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            out.append(contentsOf: utf8)
            return true
        }
        guard !plain else { return }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): out.append(contentsOf: #"\t"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
    }
}
