/// `RecentWindow.summary(now:)`: the window's figures, as the operator API reports them.
struct RecentSummary: Sendable {
    /// Answered requests (served or not) per second.
    var requestsPerSecond: Double
    /// Median latency of served requests; `nil` without any.
    var p50Ms: Double?
    /// 99th percentile latency of served requests; `nil` without any.
    var p99Ms: Double?
    /// SLO met over judged requests (served, refused or expired); `nil` without any.
    var attainment: Double?
    /// Share of samples per plan, plans with none left out, in the model's plan order.
    var planMix: [(plan: String, share: Double)]
    /// Requests answered without outputs, by reason, every counted reason listed.
    var rejects: [(reason: String, count: Int)]
}
