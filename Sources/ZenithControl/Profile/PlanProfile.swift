/// One operating point of a model as the controller sees it: how accurate it is and how long it takes.
public struct PlanProfile: Sendable, Equatable {
    /// The plan's name in the model's `config.json`.
    public var name: String
    /// Position in `ModelProfile.plans`; `0` is dense. Set by `ModelProfile`.
    public internal(set) var index: Int
    /// Expected accuracy on the validation split, 0–1.
    public var expectedAccuracy: Double
    /// Profiled execution time in microseconds, by batch size; the prior of `LatencyModel`.
    public var latencyMicros: [Int: Double]

    /// - Parameters:
    ///   - name: the plan's name.
    ///   - expectedAccuracy: validation accuracy, 0–1.
    ///   - latencyMicros: execution time per profiled batch size; sizes in between are interpolated.
    public init(name: String, expectedAccuracy: Double, latencyMicros: [Int: Double]) {
        self.name = name
        self.index = 0
        self.expectedAccuracy = expectedAccuracy
        self.latencyMicros = latencyMicros
    }
}
