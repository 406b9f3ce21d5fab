package import ZenithGRPC
package import ZenithHTTP

extension GRPCTimeout {
    /// The timeout in milliseconds, as a latency target: `nil` without the header.
    ///
    /// - Throws: 400 (INVALID_ARGUMENT) naming the header when it is malformed.
    package static func milliseconds(in headers: HTTPHeaderList) throws(RequestError) -> Double? {
        guard let value = headers[header] else { return nil }
        guard let nanos = nanoseconds(value) else {
            throw .badRequest(
                "\(header) '\(value.prefix(40))' is malformed; expected up to 8 digits and a unit (H M S m u n)")
        }
        return Double(nanos) / 1_000_000
    }
}
