import Dispatch
public import ZenithControl

/// The server's clock for the controller: monotonic nanoseconds (`CLOCK_MONOTONIC` through
/// Dispatch), the same clock `DispatchSemaphore` timeouts use, so a wake-up for an `Instant`
/// fires when that instant is reached.
public struct MonotonicClock: Sendable {
    public init() {}

    public func now() -> Instant {
        Instant(nanoseconds: DispatchTime.now().uptimeNanoseconds)
    }

    /// The dispatch time of `instant`, for semaphore timeouts.
    func dispatchTime(_ instant: Instant) -> DispatchTime {
        instant == .distantFuture ? .distantFuture : DispatchTime(uptimeNanoseconds: instant.nanoseconds)
    }
}
