import ZenithControl

/// A model's `RecentWindow` behind a lock, fed where `ModelStatistics` is (the infer route) and
/// read by the operator API. One short critical section per answered request.
final class RecentStatistics: Sendable {
    private let window: Locked<RecentWindow>
    private let clock: MonotonicClock

    /// - Parameters:
    ///   - plans: the model's plan names (the plan mix counts these).
    ///   - clock: the server's monotonic clock.
    init(plans: [String], clock: MonotonicClock = MonotonicClock()) {
        self.clock = clock
        window = Locked(RecentWindow(plans: plans, reasons: ModelMetrics.rejectReasons, start: clock.now()))
    }

    /// A request answered with outputs at `now`.
    func served(_ result: InferenceResult, totalNanos: UInt64, now: Instant) {
        window.withLock { window in
            window.served(
                latencyNanos: totalNanos, plans: result.samples.lazy.map(\.plan), sloMet: result.sloMet, now: now)
        }
    }

    /// A request answered without outputs at `now`; `missedSLO` for refusals and expiries.
    func failed(reason: String, missedSLO: Bool, now: Instant) {
        window.withLock { $0.failed(reason: reason, missedSLO: missedSLO, now: now) }
    }

    /// The window as it is now.
    func summary() -> RecentSummary {
        let now = clock.now()
        return window.withLock { $0.summary(now: now) }
    }
}
