import NIOCore
import ZenithControl

/// The controller's wake-ups (`SchedulingAction.wait(until:)`) as a task scheduled on the event
/// loop that asked, for a process whose batches run on its event loop
/// (`ModelScheduler.batchesOnEventLoop`).
///
/// There the loop and the `WakeupTimer`'s thread share one core: each earlier instant asked for
/// wakes the timer's thread, which preempts the loop, and a wake-up fired there drives the
/// controller from that thread, handing its batch to the worker's thread and the answers back to
/// the loop. Under overload the next expiry moves with nearly every event. The loop's own timer
/// costs no thread switch, and what it drives runs where the batches run. One task is pending at
/// a time; an earlier instant replaces it.
final class LoopWakeup: Sendable {
    private struct Pending {
        var instant: Instant
        var task: Scheduled<Void>
    }

    private let pending = Locked<Pending?>(nil)

    /// Asks `loop` to call `fire` at `instant`; an earlier pending request stays in force.
    func schedule(_ instant: Instant, on loop: any EventLoop, fire: @escaping @Sendable () -> Void) {
        guard instant != .distantFuture else { return }
        pending.withLock { pending in
            if let current = pending, current.instant <= instant { return }
            pending?.task.cancel()
            let task = loop.scheduleTask(deadline: .uptimeNanoseconds(instant.nanoseconds)) { [weak self] in
                self?.pending.withLock { if $0?.instant == instant { $0 = nil } }
                fire()
            }
            pending = Pending(instant: instant, task: task)
        }
    }
}
