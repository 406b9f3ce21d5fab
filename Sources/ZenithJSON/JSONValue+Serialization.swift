extension JSONValue {
    /// The JSON text of this value. Non-finite numbers, which JSON cannot carry, become `null`.
    public func serialized(pretty: Bool = false) -> String {
        String(decoding: serializedBytes(pretty: pretty), as: UTF8.self)
    }

    /// The JSON text of this value as UTF-8 bytes, compact or indented by two spaces.
    ///
    /// Written here rather than by json-c, which parses: building json-c's tree for an answer
    /// took a C allocation per value and a C string per key, and was the largest share of the
    /// allocations an inference answer made.
    public func serializedBytes(pretty: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out, indent: pretty ? 0 : nil)
        return out
    }

    /// Appends the text; `indent` is the current depth when pretty, `nil` when compact.
    func write(to out: inout [UInt8], indent: Int?) {
        switch self {
        case .null:
            out.append(contentsOf: "null".utf8)
        case .bool(let value):
            out.append(contentsOf: value ? "true".utf8 : "false".utf8)
        case .int(let value):
            JSONWriter.appendInt(value, to: &out)
        case .double(let value):
            JSONWriter.appendDouble(value, to: &out)
        case .string(let value):
            JSONWriter.appendString(value, to: &out)
        case .array(let values):
            guard !values.isEmpty else { return out.append(contentsOf: "[]".utf8) }
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.newline(to: &out, depth: indent.map { $0 + 1 })
                value.write(to: &out, indent: indent.map { $0 + 1 })
            }
            Self.newline(to: &out, depth: indent)
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            guard object.count > 0 else { return out.append(contentsOf: "{}".utf8) }
            out.append(UInt8(ascii: "{"))
            for (index, entry) in object.entries.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.newline(to: &out, depth: indent.map { $0 + 1 })
                JSONWriter.appendString(entry.key, to: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                entry.value.write(to: &out, indent: indent.map { $0 + 1 })
            }
            Self.newline(to: &out, depth: indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(to out: inout [UInt8], depth: Int?) {
        guard let depth else { return }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
    }
}
