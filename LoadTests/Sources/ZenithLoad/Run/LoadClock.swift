/// Nanoseconds since the start of a run, from the monotonic clock.
public struct LoadClock: Sendable {
    /// The run's time zero.
    public let start: ContinuousClock.Instant

    /// Starts the clock now.
    public init() {
        self.start = ContinuousClock.now
    }

    /// Nanoseconds since `start`.
    public func now() -> UInt64 {
        let (seconds, attoseconds) = start.duration(to: ContinuousClock.now).components
        return UInt64(max(0, seconds)) &* 1_000_000_000 &+ UInt64(max(0, attoseconds / 1_000_000_000))
    }

    /// The instant `nanos` after the start (for `Task.sleep(until:)`).
    public func instant(atNanos nanos: UInt64) -> ContinuousClock.Instant {
        start.advanced(by: .nanoseconds(Int64(clamping: nanos)))
    }
}
