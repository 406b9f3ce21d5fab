import NIOConcurrencyHelpers

/// Requests a test's handler holds until the test lets them go.
///
/// A handler calls `hold()` for a request it should keep open: the arrival is counted in
/// ``arrived``, which the test waits on, and `hold()` returns once ``release()`` has been
/// called. A test then knows that the server has the request, and for as long as it wants,
/// instead of hoping a fixed delay outlasts its next steps on a slow machine.
public final class RequestGate: Sendable {
    /// Requests that reached `hold()`, released or not.
    public let arrived = EventCount()
    // NIO's lock, as in `EventCount`: handlers and the test meet on it.
    private let gate = NIOLockedValueBox((open: false, waiting: [CheckedContinuation<Void, Never>]()))

    public init() {}

    /// Counts the request and waits until the gate is open (at once if it already is).
    public func hold() async {
        self.arrived.record()
        await withCheckedContinuation { continuation in
            let open = self.gate.withLockedValue { gate in
                if !gate.open { gate.waiting.append(continuation) }
                return gate.open
            }
            if open { continuation.resume() }
        }
    }

    /// Opens the gate: every held request, and every one to come, goes on.
    public func release() {
        let waiting = self.gate.withLockedValue { gate in
            gate.open = true
            defer { gate.waiting = [] }
            return gate.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}
