public import ZenithHTTP
import ZenithJSON

/// A request the server answers with an error status and Zenith's error body,
/// `{"error": "<message>", "reason": "<reason>"}` (`reason` only when there is one).
public struct RequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status: 400, 404, 405, 415, 429, 500, 503, 504.
    public var status: Int
    /// What is wrong, in words fit for an API client.
    public var message: String
    /// A machine-readable reason for overload and SLO answers (`slo_infeasible`, `queue_full`, ...).
    public var reason: String?
    /// Seconds for the `Retry-After` header.
    public var retryAfterSeconds: Int?
    /// Methods for the `Allow` header of a 405.
    public var allowedMethods: [String]?

    public init(
        status: Int, message: String, reason: String? = nil, retryAfterSeconds: Int? = nil,
        allowedMethods: [String]? = nil
    ) {
        self.status = status
        self.message = message
        self.reason = reason
        self.retryAfterSeconds = retryAfterSeconds
        self.allowedMethods = allowedMethods
    }

    /// 400 with `message`.
    public static func badRequest(_ message: String) -> RequestError {
        RequestError(status: 400, message: message)
    }

    /// 404 with `message`.
    public static func notFound(_ message: String) -> RequestError {
        RequestError(status: 404, message: message)
    }

    public var description: String { "\(status) \(message)" }

    /// The response that carries this error.
    public var response: HTTPResponse {
        var body: JSONObject = ["error": .string(message)]
        if let reason { body["reason"] = .string(reason) }
        var headers: HTTPHeaderList = ["content-type": "application/json"]
        if let retryAfterSeconds { headers.append(name: "retry-after", value: String(retryAfterSeconds)) }
        if let allowedMethods { headers.append(name: "allow", value: allowedMethods.joined(separator: ", ")) }
        return HTTPResponse(status: status, headers: headers, body: JSONValue.object(body).serializedBytes())
    }
}

extension RequestError {
    /// `Retry-After` in whole seconds, rounded up and at least 1, as HTTP wants.
    static func retryAfterSeconds(nanoseconds: UInt64) -> Int {
        Int(min(max((nanoseconds + 999_999_999) / 1_000_000_000, 1), 3600))
    }
}
