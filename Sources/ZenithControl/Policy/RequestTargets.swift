public import ZenithCore

/// A request's resolved targets: what the queue and the plan selection work with.
public struct RequestTargets: Sendable, Equatable {
    /// When the request arrived.
    public var arrival: Instant
    /// Answer by this instant; `Instant.distantFuture` without a latency target or timeout.
    public var deadline: Instant
    /// Serve with a plan whose expected accuracy is at least this (0 without a target).
    public var accuracyTarget: Double
    /// Triton priority level: lower is served first; EDF within a level.
    public var priority: UInt32
    /// Triton `timeout`: after this instant the request is dropped without compute, whatever `policy` says.
    public var timeout: Instant?
    /// The infeasible policy in force when the request arrived.
    public var policy: InfeasiblePolicy

    public init(
        arrival: Instant, deadline: Instant, accuracyTarget: Double, priority: UInt32 = 1,
        timeout: Instant? = nil, policy: InfeasiblePolicy = .reject
    ) {
        self.arrival = arrival
        self.deadline = deadline
        self.accuracyTarget = accuracyTarget
        self.priority = priority
        self.timeout = timeout
        self.policy = policy
    }

    /// When the request leaves the queue unserved: its deadline under `.reject` (serving it late
    /// would break the promise), its timeout in any case; `nil` if never.
    public var expiry: Instant? {
        let byPolicy = policy == .reject && deadline != .distantFuture ? deadline : nil
        switch (byPolicy, timeout) {
        case let (a?, b?): return min(a, b)
        case let (a, b): return a ?? b
        }
    }
}
