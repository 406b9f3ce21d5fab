public import ZenithControl
public import ZenithHTTP
public import ZenithJSON

/// Reads what a request asks of the SLO (ARCHITECTURE.md §4): request `parameters` first, then the
/// `zenith-*` headers for clients that cannot set parameters.
///
/// Only the form is checked here (a number where a number belongs); whether a target can be met
/// at all is the policy's question (`SLOPolicy.resolve`), which also answers 400.
public enum SLOParameters {
    public static let latencyHeader = "zenith-latency-target-ms"
    public static let accuracyHeader = "zenith-accuracy-target"
    public static let classHeader = "zenith-slo-class"

    /// - Parameters:
    ///   - parameters: the request's top-level `parameters`, if any.
    ///   - headers: the HTTP request headers.
    /// - Throws: `RequestError` 400 naming the parameter or header that is malformed.
    public static func requested(parameters: JSONObject?, headers: HTTPHeaderList) throws(RequestError) -> RequestedSLO
    {
        try requested(headers: headers) { parameters?[$0] }
    }

    /// The same, with the request's `parameters` read through `parameter` (the value of a key, `nil`
    /// when absent), so a decoder can read them in place.
    static func requested(
        headers: HTTPHeaderList, parameter: (String) -> JSONValue?
    ) throws(RequestError) -> RequestedSLO {
        // Both sources are checked, so a malformed header is reported even when a parameter wins.
        let latencyHeaderValue = try headerNumber(latencyHeader, in: headers)
        let accuracyHeaderValue = try headerNumber(accuracyHeader, in: headers)
        let latency = try number("latency_target_ms", in: parameter)
        let accuracy = try number("accuracy_target", in: parameter)
        let sloClass = try string("slo_class", in: parameter)
        return RequestedSLO(
            latencyTargetMs: latency ?? latencyHeaderValue,
            accuracyTarget: accuracy ?? accuracyHeaderValue,
            sloClass: sloClass ?? headers[classHeader],
            timeoutMicros: try count("timeout", in: parameter, unit: "microseconds"),
            priority: try count("priority", in: parameter, unit: "a priority level"))
    }

    private static func number(_ key: String, in parameter: (String) -> JSONValue?) throws(RequestError) -> Double? {
        guard let value = parameter(key) else { return nil }
        guard let number = value.doubleValue else {
            throw .badRequest("parameters.\(key) must be a number, not \(describe(value))")
        }
        return number
    }

    private static func string(_ key: String, in parameter: (String) -> JSONValue?) throws(RequestError) -> String? {
        guard let value = parameter(key) else { return nil }
        guard let string = value.stringValue else {
            throw .badRequest("parameters.\(key) must be a string, not \(describe(value))")
        }
        return string
    }

    /// A non-negative integer, as Triton's `timeout` and `priority` are.
    private static func count(
        _ key: String, in parameter: (String) -> JSONValue?, unit: String
    ) throws(RequestError) -> UInt64? {
        guard let value = parameter(key) else { return nil }
        guard let int = value.intValue, int >= 0 else {
            throw .badRequest("parameters.\(key) must be a non-negative integer (\(unit)), not \(describe(value))")
        }
        return UInt64(int)
    }

    private static func headerNumber(_ name: String, in headers: HTTPHeaderList) throws(RequestError) -> Double? {
        guard let text = headers[name] else { return nil }
        let trimmed = text.trimmingASCIIWhitespace()
        // Swift's Double(_:) also reads hexadecimal ("0x10"), "nan" and "inf": only a decimal
        // number, as JSON writes one, is a number here.
        guard isDecimalNumber(trimmed.utf8), let number = Double(trimmed) else {
            throw .badRequest("header \(name) must be a number, not '\(text.prefix(40))'")
        }
        return number
    }

    /// Whether `bytes` spell a number in JSON's grammar (leading zeros allowed): an optional
    /// minus, digits, an optional fraction, an optional exponent.
    static func isDecimalNumber(_ bytes: some Collection<UInt8>) -> Bool {
        var index = bytes.startIndex
        func digits() -> Int {
            var count = 0
            while index != bytes.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                count += 1
                index = bytes.index(after: index)
            }
            return count
        }
        func skip(_ byte: UInt8) -> Bool {
            guard index != bytes.endIndex, bytes[index] == byte else { return false }
            index = bytes.index(after: index)
            return true
        }
        _ = skip(UInt8(ascii: "-"))
        guard digits() > 0 else { return false }
        if skip(UInt8(ascii: ".")) {
            guard digits() > 0 else { return false }
        }
        if skip(UInt8(ascii: "e")) || skip(UInt8(ascii: "E")) {
            if !skip(UInt8(ascii: "+")) { _ = skip(UInt8(ascii: "-")) }
            guard digits() > 0 else { return false }
        }
        return index == bytes.endIndex
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): String(b)
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .string(let s): "\"\(s.prefix(40))\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingASCIIWhitespace() -> Substring {
        // A byte scan: walking Characters costs grapheme breaking on every header read.
        let isSpace: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let first = utf8.firstIndex(where: { !isSpace($0) }), let last = utf8.lastIndex(where: { !isSpace($0) })
        else {
            return ""
        }
        // Both ends sit next to an ASCII byte (or the string's ends), so they are scalar boundaries.
        return self[first..<utf8.index(after: last)]
    }
}
