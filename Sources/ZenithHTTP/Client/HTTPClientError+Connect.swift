import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension HTTPClientError {
    /// Turns whatever the connect path threw into ``connectFailed(_:)`` with a short, stable reason
    /// (`connection refused`), rather than NIO's multi-part descriptions: tools print it verbatim.
    static func connectFailed(from error: any Error) -> HTTPClientError {
        if let error = error as? HTTPClientError { return error }
        return .connectFailed(self.connectReason(error))
    }

    private static func connectReason(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            if error.dnsAError != nil || error.dnsAAAAError != nil,
                error.connectionErrors.isEmpty
            {
                return "cannot resolve host \(error.host)"
            }
            if let first = error.connectionErrors.first {
                return self.connectReason(first.error)
            }
            return "cannot connect to \(error.host):\(error.port)"
        case let error as IOError:
            return self.errnoReason(error.errnoCode)
        case let error as ChannelError:
            switch error {
            case .connectTimeout: return "connect timed out"
            case .ioOnClosedChannel, .alreadyClosed, .eof: return "connection closed while connecting"
            default: return "\(error)"
            }
        case is SocketAddressError:
            return "cannot resolve host"
        default:
            return String(describing: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? "connect failed"
        }
    }

    private static func errnoReason(_ code: CInt) -> String {
        switch code {
        case ECONNREFUSED: "connection refused"
        case ETIMEDOUT: "connect timed out"
        case EHOSTUNREACH: "host unreachable"
        case ENETUNREACH: "network unreachable"
        case ECONNRESET: "connection reset"
        case EADDRNOTAVAIL: "address not available"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}
