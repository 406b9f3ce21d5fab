package import ZenithHTTP

extension GRPCStatus {
    /// The status a gRPC response carries, as a client reads it: from its trailers, or from its
    /// headers when it is trailers-only; `nil` when it carries none (not a gRPC response).
    package init?(response: HTTPResponse) {
        let fields = response.trailers?["grpc-status"] != nil ? response.trailers! : response.headers
        guard let text = fields["grpc-status"], let raw = Int(text) else { return nil }
        self.init(
            Code(rawValue: raw) ?? .unknown, Self.percentDecoded(fields["grpc-message"] ?? ""),
            reason: fields["zenith-reason"], retryAfterSeconds: fields["retry-after"].flatMap { Int($0) })
    }

    /// `grpc-message` as sent, decoded; a malformed escape is kept as it is.
    package static func percentDecoded(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        let bytes = Array(text.utf8)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                decoded.append(value)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }
}
