/// A timed operator call: `set-target` through `POST /v2/slo/models/{m}` at `atSeconds`.
public struct OperatorAction: Sendable, Equatable {
    /// Seconds from the start of the run.
    public var atSeconds: Double
    /// The new latency target, milliseconds, if it changes.
    public var latencyTargetMs: Double?
    /// The new accuracy target, if it changes.
    public var accuracyTarget: Double?
    /// The server class it changes; `nil` changes the model default.
    public var sloClass: String?
    /// `reject` or `best_effort`, if it changes.
    public var infeasiblePolicy: String?

    /// Creates an action.
    public init(
        atSeconds: Double, latencyTargetMs: Double? = nil, accuracyTarget: Double? = nil, sloClass: String? = nil,
        infeasiblePolicy: String? = nil
    ) {
        self.atSeconds = atSeconds
        self.latencyTargetMs = latencyTargetMs
        self.accuracyTarget = accuracyTarget
        self.sloClass = sloClass
        self.infeasiblePolicy = infeasiblePolicy
    }

    /// Whether the action moves the targets of `slo`: classes sent as `.serverClass` follow
    /// actions on their name, classes sent as `.modelDefault` follow actions without a class.
    public func applies(to slo: SLOClass) -> Bool {
        switch slo.delivery {
        case .parameters: false
        case .serverClass: sloClass == slo.name
        case .modelDefault: sloClass == nil
        }
    }
}
