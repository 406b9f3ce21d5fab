import NIOConcurrencyHelpers

/// A value behind a pthread mutex (NIO's `NIOLock`), for the state that every request's thread
/// and the workers contend for.
///
/// `Synchronization.Mutex` hands a contended lock over inside libswiftSynchronization, which
/// ThreadSanitizer does not instrument, so it reported every contended access as a race
/// (`Tests/Sanitizers/MutexFalsePositive.swift`); a lock it intercepts lets
/// `scripts/sanitize.sh tsan` tell a real race from a hand-over. Like `Mutex`, the value is
/// reached only inside `withLock`.
final class Locked<Value: ~Copyable>: @unchecked Sendable {
    private let lock = NIOLock()
    private var value: Value

    init(_ value: consuming sending Value) {
        self.value = value
    }

    func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
