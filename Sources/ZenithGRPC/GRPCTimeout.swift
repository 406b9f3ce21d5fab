/// The `grpc-timeout` request header: the time the client will wait, as at most 8 ASCII digits
/// and a unit (`H` hours, `M` minutes, `S` seconds, `m` milliseconds, `u` microseconds, `n`
/// nanoseconds), e.g. `100m`.
package enum GRPCTimeout {
    /// The header's name.
    package static let header = "grpc-timeout"

    /// The timeout in nanoseconds (saturating), or `nil` when `value` is malformed.
    package static func nanoseconds(_ value: some StringProtocol) -> UInt64? {
        let utf8 = Array(value.utf8)
        guard utf8.count >= 2, utf8.count <= 9, let unit = utf8.last else { return nil }
        var amount: UInt64 = 0
        for byte in utf8.dropLast() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            amount = amount * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        let scale: UInt64
        switch unit {
        case UInt8(ascii: "H"): scale = 3_600_000_000_000
        case UInt8(ascii: "M"): scale = 60_000_000_000
        case UInt8(ascii: "S"): scale = 1_000_000_000
        case UInt8(ascii: "m"): scale = 1_000_000
        case UInt8(ascii: "u"): scale = 1_000
        case UInt8(ascii: "n"): scale = 1
        default: return nil
        }
        let (nanos, overflow) = amount.multipliedReportingOverflow(by: scale)
        return overflow ? .max : nanos
    }
}
