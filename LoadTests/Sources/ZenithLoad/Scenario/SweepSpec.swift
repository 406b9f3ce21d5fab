/// A sweep: the scenario run at several offered loads, each for a short time.
public struct SweepSpec: Sendable, Equatable {
    /// Offered loads as multiples of the dense capacity, in order.
    public var multiples: [Double]
    /// Seconds per point (the scenario's `duration_s` is then ignored).
    public var pointSeconds: Double

    /// The points the issue asks for: 0.25× to 3× capacity.
    public static let defaultMultiples: [Double] = [0.25, 0.5, 1, 1.5, 2, 3]

    /// Creates a sweep.
    public init(multiples: [Double] = SweepSpec.defaultMultiples, pointSeconds: Double = 10) {
        self.multiples = multiples
        self.pointSeconds = pointSeconds
    }
}
