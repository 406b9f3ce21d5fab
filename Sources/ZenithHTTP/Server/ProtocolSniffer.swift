/// Decides from a connection's first bytes whether it speaks HTTP/2 with prior knowledge or HTTP/1.
///
/// An HTTP/2 client opens with the 24-byte connection preface; any byte that departs from it means
/// HTTP/1, so most HTTP/1 requests are recognised from their first byte.
struct ProtocolSniffer {
    /// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`.
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    enum Decision: Equatable {
        /// Every byte so far matches the preface, which is not complete yet.
        case needMoreBytes
        case http1
        case http2
    }

    /// How many preface bytes have matched so far.
    private(set) var matched = 0

    /// Feeds the next bytes of the connection and tells what is known.
    ///
    /// Once a decision other than ``Decision/needMoreBytes`` is returned, feeding more bytes
    /// returns the same decision.
    mutating func feed<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Decision {
        if self.matched < 0 { return .http1 }
        if self.matched == Self.preface.count { return .http2 }
        for byte in bytes {
            if byte != Self.preface[self.matched] {
                self.matched = -1
                return .http1
            }
            self.matched += 1
            if self.matched == Self.preface.count { return .http2 }
        }
        return .needMoreBytes
    }
}
