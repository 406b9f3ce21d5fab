import Synchronization

/// Request-body bytes the whole server may hold at once in bodies still arriving, shared by
/// every connection on every event loop (`--max-process-body-bytes`).
///
/// Each connection reserves a chunk's bytes before keeping them and releases them when the body
/// leaves the transport (handed to the handler, refused, or its connection closed). The
/// per-connection limit stops one client; this one stops many clients together, each under its
/// own limit, from holding enough half-sent bodies to exhaust memory.
package final class RequestBodyBudget: Sendable {
    /// Bytes that may be reserved at once.
    package let limit: Int
    private let reserved = Atomic<Int>(0)

    package init(limit: Int) {
        self.limit = max(limit, 0)
    }

    /// Bytes reserved now, over all connections.
    package var reservedBytes: Int { self.reserved.load(ordering: .relaxed) }

    /// Reserves `bytes` if they fit under the limit with what is reserved already; `false`
    /// (nothing reserved) if they do not.
    package func reserve(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return bytes == 0 }
        var current = self.reserved.load(ordering: .relaxed)
        while true {
            guard current <= self.limit - bytes else { return false }
            let (exchanged, original) = self.reserved.compareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    /// Returns `bytes` reserved earlier.
    package func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        let before = self.reserved.subtract(bytes, ordering: .relaxed).oldValue
        assert(before >= bytes, "released more request-body bytes than were reserved")
    }
}
