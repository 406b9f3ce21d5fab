import Foundation
import NIOConcurrencyHelpers

/// What a child server has said and whether it is still there: its stdout's lines, read on a
/// thread of its own (so the pipe never fills), the end of that output, and its exit.
///
/// `first(by:_:)` waits on these events rather than polling: a poll with a short limit gives a
/// wrong answer whenever the polling task is held up past its limit (a loaded machine, a test
/// process running hundreds of tests at once), while an event wakes the wait whenever it comes.
///
/// The lock is NIO's pthread mutex: the woken wait takes it right after the reading thread, so the
/// two meet, and ThreadSanitizer does not see `Synchronization.Mutex` hand a contended lock over.
final class ServerOutput: Sendable {
    /// The output so far, as a wait's condition sees it.
    struct Snapshot {
        var lines: [String]
        /// Standard output reached its end.
        var ended: Bool
        /// The process has exited (``exited()`` was called).
        var exited: Bool
    }

    private struct State {
        var lines: [String] = []
        var partial: [UInt8] = []
        var ended = false
        var exited = false
        /// Bumped by every event, so that a wait registered after an event does not sleep through it.
        var version = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    /// The lines so far.
    var lines: [String] { self.state.withLockedValue { $0.lines } }

    /// Whether ``exited()`` has been called.
    var hasExited: Bool { self.state.withLockedValue { $0.exited } }

    /// Reads `handle` until its end on a new thread.
    func follow(_ handle: FileHandle) {
        let thread = Thread { [self] in
            // `availableData` traps when a signal interrupts its read: SIGCHLD, when another child
            // of the harness (a burner) exits, must go to some other thread.
            var childSignals = sigset_t()
            sigemptyset(&childSignals)
            sigaddset(&childSignals, SIGCHLD)
            pthread_sigmask(SIG_BLOCK, &childSignals, nil)
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                self.event { state in
                    state.partial.append(contentsOf: data)
                    while let newline = state.partial.firstIndex(of: UInt8(ascii: "\n")) {
                        state.lines.append(String(decoding: state.partial[..<newline], as: UTF8.self))
                        state.partial.removeSubrange(...newline)
                    }
                }
            }
            self.event { $0.ended = true }
        }
        thread.name = "zenith-load-server-stdout"
        thread.start()
    }

    /// Records that the process has exited (from its termination handler).
    func exited() {
        self.event { $0.exited = true }
    }

    /// Waits until `condition` finds what it looks for in the output (checked now and after every
    /// event), or until `deadline`.
    ///
    /// - Returns: what `condition` returned, or `nil` at the deadline.
    /// - Throws: `CancellationError` if the task is cancelled.
    func first<T>(
        by deadline: ContinuousClock.Instant, _ condition: (Snapshot) -> T?
    ) async throws -> T? {
        // Wakes the wait at the deadline, as an event would.
        let timer = Task { [self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            self.event { _ in }
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            while true {
                let (snapshot, version) = self.state.withLockedValue {
                    (Snapshot(lines: $0.lines, ended: $0.ended, exited: $0.exited), $0.version)
                }
                if let found = condition(snapshot) { return found }
                try Task.checkCancellation()
                if ContinuousClock.now >= deadline { return nil }
                await self.nextEvent(after: version)
            }
        } onCancel: {
            self.event { _ in }
        }
    }

    /// Returns once an event later than `version` has happened.
    private func nextEvent(after version: Int) async {
        await withCheckedContinuation { continuation in
            let current = self.state.withLockedValue { state in
                if state.version == version { state.waiters.append(continuation) }
                return state.version == version
            }
            if !current { continuation.resume() }
        }
    }

    /// Applies an event and wakes every wait.
    private func event(_ apply: (inout State) -> Void) {
        let waiters = self.state.withLockedValue { state in
            apply(&state)
            state.version += 1
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
