import Foundation

/// Recent arrivals per second, an exponentially decaying count: the load the plan choice must
/// sustain, which the queue alone does not show until it has already grown.
///
/// A decaying count that starts at zero needs a few time constants to reach the true rate, and a
/// server started into full load would spend them choosing plans for a load it does not have. So
/// the count is divided by the share of its weight that has had time to accumulate,
/// `1 - exp(-elapsed / window)`, as a bias-corrected moving average is: from the first arrival
/// after start or after a silence, the estimate is the rate itself rather than a ramp toward it.
struct ArrivalRate: Sendable {
    /// The time constant of the decay: arrivals older than a few of these hardly count.
    let windowNanos: Double
    /// The decaying count as of `last`, in arrivals per second.
    private var rate = 0.0
    private var last: Instant?
    /// The first arrival since start or since the last silence.
    private var first: Instant?
    /// Arrivals counted since `first`.
    private var counted = 0

    /// Arrivals since the first after which a short span reads as the rate it is (see `perSecond`).
    static let floodCount = 8

    init(windowNanos: UInt64 = 250_000_000) {
        self.windowNanos = Double(max(windowNanos, 1))
    }

    /// A gap without arrivals after which the estimate starts afresh: what is left of the count
    /// (e^-2, 14%) says more about the load before the gap than after it. (A harness pausing
    /// a second between two loads, with an 8-window threshold, saw the second one read as a ramp
    /// from almost nothing, and the first second of a 2x load run on plans for a fraction of it.)
    private var silenceNanos: Double { 2 * windowNanos }

    /// Counts `count` arrivals at `now`.
    mutating func record(at now: Instant, count: Int = 1) {
        if let last, now > last, Double(now.nanoseconds(since: last)) < silenceNanos {
            rate = rate * exp(-Double(now.nanoseconds(since: last)) / windowNanos)
        } else if last.map({ now > $0 }) ?? true {
            rate = 0
            first = now
            counted = 0
        }
        rate += Double(count) * 1e9 / windowNanos
        counted += count
        if last.map({ now > $0 }) ?? true { last = now }
    }

    /// The rate seen from `now`.
    func perSecond(at now: Instant) -> Double {
        guard let last, let first else { return 0 }
        let decayed = now > last ? rate * exp(-Double(now.nanoseconds(since: last)) / windowNanos) : rate
        // A tenth of the window at least while there are only a few arrivals, so that one alone
        // does not read as a flood; once there are several, a millisecond: a server started into
        // full load otherwise spends the first tenth of the window choosing plans for a small
        // fraction of it, and the backlog those plans leave takes many times as long to clear.
        let floor = counted >= Self.floodCount ? windowNanos / 250 : windowNanos / 10
        let elapsed = max(Double(now > first ? now.nanoseconds(since: first) : 0), floor)
        return decayed / -expm1(-elapsed / windowNanos)
    }
}
