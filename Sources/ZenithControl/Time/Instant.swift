/// A point on the server's monotonic clock, in nanoseconds from an arbitrary origin.
///
/// The controller never reads a clock: every method takes `now` as an `Instant`, so tests drive it
/// with plain numbers. Durations are `UInt64` nanoseconds; arithmetic saturates instead of trapping,
/// so a far-future deadline plus a delay stays far in the future.
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    /// Later than every real instant: the deadline of a request without a latency target.
    public static let distantFuture = Instant(nanoseconds: .max)

    /// This instant moved `nanoseconds` later, saturating at `distantFuture`.
    public func advanced(by nanoseconds: UInt64) -> Instant {
        let (sum, overflow) = self.nanoseconds.addingReportingOverflow(nanoseconds)
        return Instant(nanoseconds: overflow ? .max : sum)
    }

    /// This instant moved `nanoseconds` earlier, saturating at zero.
    public func retreated(by nanoseconds: UInt64) -> Instant {
        Instant(nanoseconds: self.nanoseconds > nanoseconds ? self.nanoseconds - nanoseconds : 0)
    }

    /// This instant's distance from `origin` multiplied by `factor` (at least 1), from `origin`;
    /// `distantFuture` stays there.
    func stretched(from origin: Instant, by factor: Double) -> Instant {
        guard self != .distantFuture, factor > 1 else { return self }
        let span = Double(nanoseconds(since: origin)) * factor
        return origin.advanced(by: UInt64.nanoseconds(span, scale: 1) ?? .max)
    }

    /// Nanoseconds from `earlier` to this instant; zero if `earlier` is not earlier.
    public func nanoseconds(since earlier: Instant) -> UInt64 {
        nanoseconds > earlier.nanoseconds ? nanoseconds - earlier.nanoseconds : 0
    }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public var description: String { self == .distantFuture ? "never" : "\(nanoseconds)ns" }
}

extension UInt64 {
    /// Milliseconds (or any unit, with `scale` nanoseconds per unit) as nanoseconds, rounded and
    /// saturating; `nil` for values that are not finite and non-negative.
    static func nanoseconds(_ value: Double, scale: Double) -> UInt64? {
        guard value.isFinite, value >= 0 else { return nil }
        let nanos = (value * scale).rounded()
        return nanos >= 18_446_744_073_709_549_568 ? .max : UInt64(nanos)
    }
}
