/// gRPC's message framing on an HTTP/2 stream's body: each message is a Length-Prefixed-Message,
/// one byte of compressed flag, a 4-byte big-endian length, then the message.
///
/// Pure functions over bytes: the transport has already collected the whole body (a unary call's
/// request is one message) and enforced the body limit.
package enum GRPCFraming {
    /// The bytes before each message.
    package static let prefixBytes = 5

    /// What is wrong with a request body's framing.
    package enum DecodeError: Error, Sendable, Equatable {
        /// The body holds no message at all.
        case empty
        /// The body ends inside a message's 5-byte prefix.
        case truncatedPrefix(available: Int)
        /// The body ends before the length its prefix declares.
        case truncatedMessage(declared: Int, available: Int)
        /// The compressed flag is set (Zenith accepts no `grpc-encoding` but identity).
        case compressed
        /// The flag byte is neither 0 nor 1.
        case badFlag(UInt8)
        /// More than one message for a unary method; `count` bytes follow the first.
        case trailingBytes(count: Int)

        /// The status to answer with. A compressed message is UNIMPLEMENTED when the client
        /// named an encoding (it may retry uncompressed), INTERNAL when it named none (a framing
        /// violation, as gRPC defines it); the rest are INTERNAL.
        ///
        /// - Parameter encoding: the request's `grpc-encoding`, if any.
        package func status(encoding: String?) -> GRPCStatus {
            switch self {
            case .empty:
                return GRPCStatus(.internal, "the request has no message; a unary call sends exactly one")
            case .truncatedPrefix(let available):
                return GRPCStatus(.internal, "the request ends inside a message prefix (\(available) of 5 bytes)")
            case .truncatedMessage(let declared, let available):
                return GRPCStatus(
                    .internal, "the message prefix declares \(declared) bytes but \(available) follow")
            case .compressed:
                if let encoding, encoding != "identity" {
                    return GRPCStatus(
                        .unimplemented,
                        "grpc-encoding '\(encoding.prefix(40))' is not supported; send messages uncompressed")
                }
                return GRPCStatus(.internal, "the message is flagged compressed but no grpc-encoding was sent")
            case .badFlag(let flag):
                return GRPCStatus(.internal, "the message prefix has compressed flag \(flag); it must be 0")
            case .trailingBytes(let count):
                return GRPCStatus(
                    .internal, "\(count) bytes follow the request message; a unary call sends exactly one")
            }
        }
    }

    /// The one message of a unary call's request body, uncompressed.
    package static func unaryMessage(in body: [UInt8]) throws(DecodeError) -> ArraySlice<UInt8> {
        guard !body.isEmpty else { throw .empty }
        guard body.count >= prefixBytes else { throw .truncatedPrefix(available: body.count) }
        switch body[0] {
        case 0: break
        case 1: throw .compressed
        case let flag: throw .badFlag(flag)
        }
        let declared = Int(body[1]) << 24 | Int(body[2]) << 16 | Int(body[3]) << 8 | Int(body[4])
        let available = body.count - prefixBytes
        guard declared <= available else { throw .truncatedMessage(declared: declared, available: available) }
        guard declared == available else { throw .trailingBytes(count: available - declared) }
        return body[prefixBytes...]
    }

    /// `message` framed as an uncompressed Length-Prefixed-Message.
    package static func framed(_ message: some Collection<UInt8>) -> [UInt8] {
        let count = UInt32(truncatingIfNeeded: message.count)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(prefixBytes + message.count)
        bytes.append(0)
        bytes.append(UInt8(truncatingIfNeeded: count >> 24))
        bytes.append(UInt8(truncatingIfNeeded: count >> 16))
        bytes.append(UInt8(truncatingIfNeeded: count >> 8))
        bytes.append(UInt8(truncatingIfNeeded: count))
        bytes.append(contentsOf: message)
        return bytes
    }
}
