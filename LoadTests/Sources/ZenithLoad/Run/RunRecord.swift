/// Everything one run of a scenario against one server produced.
public struct RunRecord: Sendable {
    /// `dense`, `slo`, or `external` (a given endpoint).
    public var mode: String
    /// One per scheduled request, in schedule order.
    public var samples: [Sample]
    /// The operator calls (set-up first, then the timed actions).
    public var actions: [ActionRecord]
    /// Seconds of the schedule (the scenario's duration or the sweep point's).
    public var durationSeconds: Double
    /// The base offered rate, requests per second.
    public var offeredRate: Double
    /// Requests that waited in the client because every connection was at its stream limit.
    public var clientQueued: Int
    /// Each CPU's share of the sending time the hypervisor gave to someone else (`CPUTimes`);
    /// empty where the machine does not say.
    public var stealShares: [Int: Double]

    /// Creates a record.
    public init(
        mode: String, samples: [Sample], actions: [ActionRecord], durationSeconds: Double, offeredRate: Double,
        clientQueued: Int = 0, stealShares: [Int: Double] = [:]
    ) {
        self.mode = mode
        self.samples = samples
        self.actions = actions
        self.durationSeconds = durationSeconds
        self.offeredRate = offeredRate
        self.clientQueued = clientQueued
        self.stealShares = stealShares
    }
}
