import NIOConcurrencyHelpers

/// How many times something has happened, for a test to wait on.
///
/// `record()` may be called from any thread (an event loop, a handler, a plain thread);
/// `wait(for:_:)` resumes as soon as the count reaches its target. A test that polls a state
/// with a short limit fails whenever the machine is slow enough for the limit to pass first (a
/// sanitized run on a loaded machine), and a full parallel test run can hold up the polling task
/// itself for seconds; a wait on the event has no such race. The deadline only keeps a broken
/// test from hanging the suite, so it is generous.
///
/// Its lock is NIO's pthread mutex rather than `Synchronization.Mutex`, whose contended hand-over
/// ThreadSanitizer does not see (docs/SANITIZERS.md): recording and waiting threads do meet.
public final class EventCount: Sendable {
    /// A timeout long enough that only a test that is broken, not one that is slow, reaches it.
    public static let generousTimeout: Duration = .seconds(120)

    private struct Waiter {
        var target: Int
        var continuation: CheckedContinuation<Void, any Error>
        var timer: Task<Void, Never>?
    }

    private struct State {
        var count = 0
        var nextID = 0
        var waiters: [Int: Waiter] = [:]
        /// Waits cancelled before they were registered.
        var cancelled: Set<Int> = []
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// What has been recorded so far.
    public var count: Int { self.state.withLockedValue { $0.count } }

    /// Adds `amount` to the count and wakes the waits it satisfies.
    public func record(_ amount: Int = 1) {
        let ready: [Waiter] = self.state.withLockedValue { state in
            state.count += amount
            let count = state.count
            let done = state.waiters.filter { $0.value.target <= count }
            for id in done.keys { state.waiters[id] = nil }
            return Array(done.values)
        }
        for waiter in ready {
            waiter.timer?.cancel()
            waiter.continuation.resume()
        }
    }

    /// Returns once the count is at least `target`.
    ///
    /// - Parameters:
    ///   - target: the count to wait for.
    ///   - what: what the count means, for the failure message.
    ///   - timeout: the longest wait; past it the test is broken rather than slow.
    /// - Throws: ``TimedOut`` after `timeout`; `CancellationError` if the task is cancelled.
    public func wait(for target: Int, _ what: String, timeout: Duration = EventCount.generousTimeout) async throws {
        let id = self.state.withLockedValue { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: (any Error)?? = self.state.withLockedValue { state in
                    if state.cancelled.remove(id) != nil { return .some(CancellationError()) }
                    guard state.count < target else { return .some(nil) }
                    state.waiters[id] = Waiter(target: target, continuation: continuation)
                    return nil
                }
                if let outcome {
                    continuation.resume(with: outcome.map { .failure($0) } ?? .success(()))
                    return
                }
                let timer = Task { [self] in
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    let waiter = self.state.withLockedValue { $0.waiters.removeValue(forKey: id) }
                    let count = self.count
                    waiter?.continuation.resume(
                        throwing: TimedOut("\(timeout) waiting for \(target) \(what), got \(count)"))
                }
                // The wait may have ended between the registration and here.
                let stillWaiting = self.state.withLockedValue { state in
                    guard state.waiters[id] != nil else { return false }
                    state.waiters[id]?.timer = timer
                    return true
                }
                if !stillWaiting { timer.cancel() }
            }
        } onCancel: {
            let waiter = self.state.withLockedValue { state in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    // Not registered yet: the registration sees this and ends the wait.
                    state.cancelled.insert(id)
                    return nil as Waiter?
                }
                return waiter
            }
            waiter?.timer?.cancel()
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// A wait that reached its deadline.
    public struct TimedOut: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
