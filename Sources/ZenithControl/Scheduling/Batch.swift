/// A batch the controller hands to a worker: who is in it and which plan to run.
public struct Batch: Sendable, Equatable {
    public var id: BatchID
    /// The worker (0..<workers) now marked busy with it.
    public var worker: Int
    /// The plan to run for every member.
    public var plan: PlanProfile
    /// Why this plan was chosen.
    public var choice: PlanChoice
    /// In serving order.
    public var members: [BatchMember]
    public var startedAt: Instant
    /// Predicted execution time of `plan` for this batch size.
    public var predictedNanos: UInt64
    /// `startedAt` plus `predictedNanos`.
    public var predictedCompletion: Instant

    public var ids: [RequestID] { members.map(\.id) }
    public var predictedMicros: Double { Double(predictedNanos) / 1_000 }
}
