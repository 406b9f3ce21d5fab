import Foundation

/// Recent arrivals per second, an exponentially decaying count: the load the plan choice must
/// sustain, which the queue alone does not show until it has already grown.
struct ArrivalRate: Sendable {
    /// The time constant of the decay: arrivals older than a few of these hardly count.
    let windowNanos: Double
    /// Arrivals per second as of `last`.
    private var rate = 0.0
    private var last: Instant?

    init(windowNanos: UInt64 = 250_000_000) {
        self.windowNanos = Double(max(windowNanos, 1))
    }

    /// Counts `count` arrivals at `now`.
    mutating func record(at now: Instant, count: Int = 1) {
        rate = perSecond(at: now) + Double(count) * 1e9 / windowNanos
        if last.map({ now > $0 }) ?? true { last = now }
    }

    /// The rate seen from `now`.
    func perSecond(at now: Instant) -> Double {
        guard let last, now > last else { return rate }
        return rate * exp(-Double(now.nanoseconds(since: last)) / windowNanos)
    }
}
