/// What one request asked for, before defaults apply (ARCHITECTURE.md §4).
///
/// The frontend fills it from `parameters` or, failing those, the `zenith-*` headers.
public struct RequestedSLO: Sendable, Equatable {
    /// `latency_target_ms`.
    public var latencyTargetMs: Double?
    /// `accuracy_target`, 0–1.
    public var accuracyTarget: Double?
    /// `slo_class`: a class named in `SLOPolicy.classTargets`.
    public var sloClass: String?
    /// Triton's `timeout` in microseconds; 0 means none. The request is answered with an error,
    /// never computed, once it has waited this long, whatever the infeasible policy.
    public var timeoutMicros: UInt64?
    /// Triton's `priority`: 1 is the highest; 0 means the default level.
    public var priority: UInt64?

    public init(
        latencyTargetMs: Double? = nil, accuracyTarget: Double? = nil, sloClass: String? = nil,
        timeoutMicros: UInt64? = nil, priority: UInt64? = nil
    ) {
        self.latencyTargetMs = latencyTargetMs
        self.accuracyTarget = accuracyTarget
        self.sloClass = sloClass
        self.timeoutMicros = timeoutMicros
        self.priority = priority
    }
}
