/// What a request (or a class of requests, or a model by default) asks of the server.
public struct SLOTargets: Sendable, Equatable {
    /// Answer within this many milliseconds of arrival.
    public var latencyTargetMs: Double?
    /// Serve with a plan whose expected accuracy is at least this (0–1).
    public var accuracyTarget: Double?

    public init(latencyTargetMs: Double? = nil, accuracyTarget: Double? = nil) {
        self.latencyTargetMs = latencyTargetMs
        self.accuracyTarget = accuracyTarget
    }
}

/// What to do with a request that no plan can serve within its targets.
public enum InfeasiblePolicy: String, Sendable, CaseIterable {
    /// Answer 429 at once, before any compute is spent.
    case reject
    /// Serve with the cheapest plan that meets the accuracy target and say the SLO is at risk.
    case bestEffort = "best_effort"
}
