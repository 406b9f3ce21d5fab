/// A running estimate of a high quantile of a stream of positive values, in constant memory.
///
/// Up by a relative `step` (times the quantile) when a value lies above the estimate, down by
/// `step` times one minus the quantile otherwise, so it settles where a share `1 − quantile` of
/// recent values lie above it, and follows a change in the stream within a few hundred values.
public struct QuantileTracker: Sendable, Equatable {
    /// The quantile estimated, in (0, 1).
    public let quantile: Double
    /// The relative size of a move, in (0, 1).
    public let step: Double
    /// The estimate, within `bounds`.
    public private(set) var value: Double
    private let bounds: ClosedRange<Double>

    /// - Parameters:
    ///   - quantile: the quantile to estimate, in (0, 1).
    ///   - step: the relative size of a move, in (0, 1).
    ///   - bounds: the estimate stays within them; its lower bound must be positive (a relative
    ///     step cannot leave zero). The estimate starts at the lower bound.
    public init(quantile: Double, step: Double, bounds: ClosedRange<Double>) {
        precondition(quantile > 0 && quantile < 1 && step > 0 && step < 1 && bounds.lowerBound > 0)
        self.quantile = quantile
        self.step = step
        self.bounds = bounds
        value = bounds.lowerBound
    }

    /// Takes one value of the stream into the estimate; values that are not finite are ignored.
    public mutating func record(_ x: Double) {
        guard x.isFinite else { return }
        value *= x > value ? 1 + step * quantile : 1 - step * (1 - quantile)
        value = min(max(value, bounds.lowerBound), bounds.upperBound)
    }

    /// Back to the lower bound, as new.
    public mutating func reset() {
        value = bounds.lowerBound
    }
}
