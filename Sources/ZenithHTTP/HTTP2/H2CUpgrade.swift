/// Recognises an HTTP/1.1 request asking to switch to cleartext HTTP/2 (RFC 7540 §3.2) and
/// decodes its `HTTP2-Settings` payload.
enum H2CUpgrade {
    /// The SETTINGS payload to hand nghttp2, or `nil` when `headers` do not ask for h2c properly:
    /// `upgrade` must list `h2c`, `connection` must list `upgrade` and `http2-settings`, and there
    /// must be exactly one `http2-settings` field holding base64url.
    static func settingsPayload(from headers: HTTPHeaderList) -> [UInt8]? {
        guard tokens(headers.values(for: "upgrade")).contains("h2c") else { return nil }
        let connection = tokens(headers.values(for: "connection"))
        guard connection.contains("upgrade"), connection.contains("http2-settings") else { return nil }
        let settings = headers.values(for: "http2-settings")
        guard settings.count == 1, let payload = decodeBase64URL(settings[0]), isValidSettings(payload) else {
            return nil
        }
        return payload
    }

    /// Whether a SETTINGS payload is one nghttp2 may take: whole 6-byte entries with values in
    /// range (RFC 9113 §6.5.2). nghttp2 checks only the length when upgrading, and a session
    /// started on bad values fails after the 101 has gone out; refused here, the request is
    /// answered over HTTP/1.1 as if it had not asked to upgrade.
    static func isValidSettings(_ payload: [UInt8]) -> Bool {
        guard payload.count % 6 == 0 else { return false }
        for start in stride(from: 0, to: payload.count, by: 6) {
            let id = UInt16(payload[start]) << 8 | UInt16(payload[start + 1])
            let value = payload[(start + 2)..<(start + 6)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            switch id {
            case 0x2: if value > 1 { return false }  // ENABLE_PUSH
            case 0x4: if value > 0x7FFF_FFFF { return false }  // INITIAL_WINDOW_SIZE
            case 0x5: if value < 16_384 || value > 0xFF_FFFF { return false }  // MAX_FRAME_SIZE
            default: break
            }
        }
        return true
    }

    /// The comma-separated tokens of `values`, trimmed and lowercased.
    static func tokens(_ values: [String]) -> [String] {
        values.flatMap { value in
            value.split(separator: ",").map {
                HTTPHeaderList.lowercased(String($0.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed()))
            }
        }
    }

    /// Base64url without padding (padding is tolerated); `nil` on any other character.
    static func decodeBase64URL(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in text.utf8 {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "-"), UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "_"), UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): continue
            default: return nil
            }
            accumulator = (accumulator << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return output
    }
}
