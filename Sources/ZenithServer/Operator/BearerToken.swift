/// The operator API's bearer token, checked in constant time.
struct BearerToken: Sendable {
    private let bytes: [UInt8]

    /// `nil` for an empty token: an empty secret must not open the API.
    init?(_ token: String) {
        guard !token.isEmpty else { return nil }
        bytes = Array(token.utf8)
    }

    /// Whether an `Authorization` header value carries this token (`Bearer <token>`; the scheme in
    /// any case, as RFC 9110 has it).
    func authorizes(_ authorization: String?) -> Bool {
        guard let authorization else { return false }
        let value = authorization.utf8.drop { $0 == UInt8(ascii: " ") }
        let scheme = value.prefix { $0 != UInt8(ascii: " ") }
        guard scheme.count == 6, String(decoding: scheme, as: UTF8.self).lowercased() == "bearer" else { return false }
        let credentials = value.dropFirst(6).drop { $0 == UInt8(ascii: " ") }
        var end = credentials.endIndex
        while end > credentials.startIndex, credentials[credentials.index(before: end)] == UInt8(ascii: " ") {
            end = credentials.index(before: end)
        }
        return Self.constantTimeEquals(Array(credentials[..<end]), bytes)
    }

    /// Compares in time that depends only on `expected`'s length, never on where the bytes first
    /// differ, so response times do not reveal the token byte by byte.
    static func constantTimeEquals(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference: UInt8 = given.count == expected.count ? 0 : 1
        for index in expected.indices {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }
}
