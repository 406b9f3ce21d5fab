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
        let parameters = parameters ?? JSONObject()
        // Both sources are checked, so a malformed header is reported even when a parameter wins.
        let latencyHeaderValue = try headerNumber(latencyHeader, in: headers)
        let accuracyHeaderValue = try headerNumber(accuracyHeader, in: headers)
        let latency = try number("latency_target_ms", in: parameters)
        let accuracy = try number("accuracy_target", in: parameters)
        let sloClass = try string("slo_class", in: parameters)
        return RequestedSLO(
            latencyTargetMs: latency ?? latencyHeaderValue,
            accuracyTarget: accuracy ?? accuracyHeaderValue,
            sloClass: sloClass ?? headers[classHeader],
            timeoutMicros: try count("timeout", in: parameters, unit: "microseconds"),
            priority: try count("priority", in: parameters, unit: "a priority level"))
    }

    private static func number(_ key: String, in parameters: JSONObject) throws(RequestError) -> Double? {
        guard let value = parameters[key] else { return nil }
        guard let number = value.doubleValue else {
            throw .badRequest("parameters.\(key) must be a number, not \(describe(value))")
        }
        return number
    }

    private static func string(_ key: String, in parameters: JSONObject) throws(RequestError) -> String? {
        guard let value = parameters[key] else { return nil }
        guard let string = value.stringValue else {
            throw .badRequest("parameters.\(key) must be a string, not \(describe(value))")
        }
        return string
    }

    /// A non-negative integer, as Triton's `timeout` and `priority` are.
    private static func count(_ key: String, in parameters: JSONObject, unit: String) throws(RequestError) -> UInt64? {
        guard let value = parameters[key] else { return nil }
        guard let int = value.intValue, int >= 0 else {
            throw .badRequest("parameters.\(key) must be a non-negative integer (\(unit)), not \(describe(value))")
        }
        return UInt64(int)
    }

    private static func headerNumber(_ name: String, in headers: HTTPHeaderList) throws(RequestError) -> Double? {
        guard let text = headers[name] else { return nil }
        let trimmed = text.trimmingASCIIWhitespace()
        guard let number = Double(trimmed) else { throw .badRequest("header \(name) must be a number, not '\(text)'") }
        return number
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
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[first...last]
    }
}
