/// One request of a batch, with what its response reports.
public struct BatchMember: Sendable, Equatable {
    public var id: RequestID
    public var arrival: Instant
    public var deadline: Instant
    public var accuracyTarget: Double
    /// Time spent queued, arrival to dispatch.
    public var queueNanos: UInt64
    /// Whether the batch's predicted completion is at or before this member's deadline.
    public var predictedToMeetDeadline: Bool
    /// Served although no plan was predicted to meet its deadline; the response says so.
    public var bestEffort: Bool
}
