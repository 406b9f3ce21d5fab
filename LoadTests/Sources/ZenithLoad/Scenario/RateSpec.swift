/// The offered request rate of a scenario: absolute, or relative to the measured dense capacity.
public enum RateSpec: Sendable, Equatable {
    /// Requests per second.
    case absolute(Double)
    /// A multiple of the dense capacity (`zenith-load capacity`), measured or given at run time.
    case capacityMultiple(Double)

    /// The rate in requests per second.
    ///
    /// - Parameter capacity: the dense capacity in requests per second, if known.
    /// - Throws: `ScenarioError` when the rate is relative and no capacity is known.
    public func requestsPerSecond(capacity: Double?) throws(ScenarioError) -> Double {
        switch self {
        case .absolute(let rate): return rate
        case .capacityMultiple(let multiple):
            guard let capacity else {
                throw ScenarioError("the rate is a multiple of capacity: measure it first or pass --capacity")
            }
            return multiple * capacity
        }
    }

    /// Whether resolving the rate needs the dense capacity.
    public var needsCapacity: Bool {
        if case .capacityMultiple = self { return true }
        return false
    }
}
