/// A load scenario, read from `LoadTests/Scenarios/*.json` (format in `LoadTests/README.md`).
public struct Scenario: Sendable, Equatable {
    /// The scenario's name (reports and folders use it).
    public var name: String
    /// The model every request goes to.
    public var model: String
    /// Seconds of sending.
    public var durationSeconds: Double
    /// Seed of the arrival process and the class draw: equal seeds give equal traces.
    public var seed: UInt64
    /// When requests leave.
    public var arrival: ArrivalProcess
    /// The offered rate.
    public var rate: RateSpec
    /// The request mix; shares need not sum to one.
    public var classes: [SLOClass]
    /// Body encoding.
    public var encoding: PayloadEncoding
    /// Test images per request (the input's batch dimension); every image is scored, the
    /// request is judged once.
    public var imagesPerRequest: Int
    /// Timed operator calls, sorted by time.
    public var actions: [OperatorAction]
    /// When set, the scenario is a sweep over offered loads.
    public var sweep: SweepSpec?
    /// The per-sample input shape the model takes (`nil`: the data file's).
    public var inputShape: [Int]?
    /// Labelled test data (`.npz`); `nil`: Fashion-MNIST's IDX files, or the command line's `--data`.
    public var data: String?
    /// CPU-bound neighbours started and stopped during the run, sorted by start.
    public var interference: [Interference]

    /// Creates a scenario.
    public init(
        name: String, model: String, durationSeconds: Double, seed: UInt64 = 1, arrival: ArrivalProcess,
        rate: RateSpec, classes: [SLOClass], encoding: PayloadEncoding = .binary, imagesPerRequest: Int = 1,
        actions: [OperatorAction] = [], sweep: SweepSpec? = nil, inputShape: [Int]? = nil, data: String? = nil,
        interference: [Interference] = []
    ) {
        self.name = name
        self.model = model
        self.durationSeconds = durationSeconds
        self.seed = seed
        self.arrival = arrival
        self.rate = rate
        self.classes = classes
        self.encoding = encoding
        self.imagesPerRequest = imagesPerRequest
        self.actions = actions.sorted { $0.atSeconds < $1.atSeconds }
        self.sweep = sweep
        self.inputShape = inputShape
        self.data = data
        self.interference = interference.sorted { $0.fromSeconds < $1.fromSeconds }
    }

    /// The targets `slo` is judged against at `seconds` from the start: its own, moved by every
    /// operator action that applies to it and is due by then.
    public func targets(of slo: SLOClass, at seconds: Double) -> (latencyMs: Double, accuracy: Double) {
        var latency = slo.latencyTargetMs
        var accuracy = slo.accuracyTarget
        for action in actions where action.atSeconds <= seconds && action.applies(to: slo) {
            latency = action.latencyTargetMs ?? latency
            accuracy = action.accuracyTarget ?? accuracy
        }
        return (latency, accuracy)
    }
}
