/// A request waiting in a `DeadlineQueue`.
public struct QueuedRequest: Sendable, Equatable {
    public var id: RequestID
    public var targets: RequestTargets
    /// Admitted although no plan was predicted to meet its deadline (best-effort policy).
    public var admittedBestEffort: Bool
    /// Arrival order in the queue; breaks ties between equal deadlines first-in-first-out.
    public internal(set) var sequence: UInt64

    public init(id: RequestID, targets: RequestTargets, admittedBestEffort: Bool = false) {
        self.id = id
        self.targets = targets
        self.admittedBestEffort = admittedBestEffort
        self.sequence = 0
    }

    /// The order in which requests are served.
    var order: QueueOrder {
        QueueOrder(priority: targets.priority, deadline: targets.deadline, sequence: sequence)
    }
}
