import Dispatch
import Foundation
import ZenithControl

/// Calls back at the instant the controller said to wait for (`SchedulingAction.wait(until:)`):
/// the end of a batching delay or the next expiry. One thread, sleeping on a semaphore until the
/// earliest instant asked for.
final class WakeupTimer: Sendable {
    private let target = Locked<(instant: Instant?, stopping: Bool)>((nil, false))
    private let wakeup = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - clock: the clock instants are read on.
    ///   - name: the thread's name.
    ///   - fire: called on the timer's thread when a requested instant is reached.
    init(clock: MonotonicClock, name: String, fire: @escaping @Sendable () -> Void) {
        // The thread holds the timer until `stop()` ends its loop.
        let thread = Thread { [self] in
            ThreadName.set(name)
            self.loop(clock: clock, fire: fire)
            self.stopped.signal()
        }
        thread.start()
    }

    private func loop(clock: MonotonicClock, fire: () -> Void) {
        while true {
            let (instant, stopping) = target.withLock { ($0.instant, $0.stopping) }
            if stopping { return }
            guard let instant else {
                wakeup.wait()
                continue
            }
            if clock.now() >= instant {
                target.withLock { if $0.instant == instant { $0.instant = nil } }
                fire()
            } else {
                _ = wakeup.wait(timeout: clock.dispatchTime(instant))
            }
        }
    }

    /// Asks for a call at `instant`; an earlier pending request stays in force.
    func schedule(_ instant: Instant) {
        let changed = target.withLock { state in
            guard state.instant.map({ instant < $0 }) ?? true else { return false }
            state.instant = instant
            return true
        }
        if changed { wakeup.signal() }
    }

    /// Ends the thread and waits for it.
    func stop() {
        let first = target.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        guard first else { return }
        wakeup.signal()
        stopped.wait()
    }
}
