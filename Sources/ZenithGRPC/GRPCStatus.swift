package import ZenithHTTP

/// How a gRPC call ended: the `grpc-status` code and the `grpc-message` of its trailers, plus
/// Zenith's machine-readable reason and retry hint where REST would send them (`zenith-reason`,
/// `retry-after`).
package struct GRPCStatus: Error, Sendable, Equatable {
    /// gRPC's status codes (grpc/doc/statuscodes.md).
    package enum Code: Int, Sendable, Equatable {
        case ok = 0
        case cancelled = 1
        case unknown = 2
        case invalidArgument = 3
        case deadlineExceeded = 4
        case notFound = 5
        case alreadyExists = 6
        case permissionDenied = 7
        case resourceExhausted = 8
        case failedPrecondition = 9
        case aborted = 10
        case outOfRange = 11
        case unimplemented = 12
        case `internal` = 13
        case unavailable = 14
        case dataLoss = 15
        case unauthenticated = 16
    }

    package var code: Code
    package var message: String
    /// As REST's error `reason` (`slo_infeasible`, `queue_full`, ...): sent as `zenith-reason`.
    package var reason: String?
    /// As REST's `Retry-After`: sent as `retry-after` in the trailers.
    package var retryAfterSeconds: Int?

    package init(_ code: Code, _ message: String, reason: String? = nil, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.reason = reason
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The gRPC code for an HTTP status of Zenith's REST API: 400 invalid argument, 404 not found,
    /// 429 resource exhausted, 503 unavailable, 504 deadline exceeded, 499 cancelled, ...
    package static func code(httpStatus: Int) -> Code {
        switch httpStatus {
        case 200..<300: .ok
        case 400: .invalidArgument
        case 404: .notFound
        case 405, 415, 501: .unimplemented
        case 409: .aborted
        case 413, 429: .resourceExhausted
        case 499: .cancelled
        case 503: .unavailable
        case 504: .deadlineExceeded
        case 500: .internal
        default: .unknown
        }
    }

    /// The HTTP status Zenith's REST API gives where gRPC says `code` (the inverse of
    /// ``code(httpStatus:)``), for reports that count answers by HTTP status.
    package static func httpStatus(_ code: Code) -> Int {
        switch code {
        case .ok: 200
        case .invalidArgument, .outOfRange, .failedPrecondition: 400
        case .notFound: 404
        case .aborted, .alreadyExists: 409
        case .resourceExhausted: 429
        case .cancelled: 499
        case .unimplemented: 501
        case .unavailable: 503
        case .deadlineExceeded: 504
        case .unauthenticated: 401
        case .permissionDenied: 403
        case .unknown, .internal, .dataLoss: 500
        }
    }

    /// `grpc-message` as the wire wants it: UTF-8, with bytes outside printable ASCII and `%`
    /// percent-encoded (gRPC over HTTP/2, "Responses").
    package static func percentEncoded(_ message: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(message.utf8.count)
        for byte in message.utf8 {
            if byte >= 0x20, byte <= 0x7e, byte != UInt8(ascii: "%") {
                bytes.append(byte)
            } else {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0f)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The fields that carry this status: `grpc-status`, `grpc-message` (when there is one),
    /// `zenith-reason` and `retry-after`.
    package var fields: HTTPHeaderList {
        var fields: HTTPHeaderList = ["grpc-status": String(code.rawValue)]
        if !message.isEmpty { fields.append(name: "grpc-message", value: Self.percentEncoded(message)) }
        if let reason { fields.append(name: "zenith-reason", value: reason) }
        if let retryAfterSeconds { fields.append(name: "retry-after", value: String(retryAfterSeconds)) }
        return fields
    }
}
