/// Serving order: priority level first (lower is sooner), then earliest deadline, then arrival.
struct QueueOrder: Sendable, Comparable {
    var priority: UInt32
    var deadline: Instant
    var sequence: UInt64

    static func < (lhs: QueueOrder, rhs: QueueOrder) -> Bool {
        if lhs.priority != rhs.priority { return lhs.priority < rhs.priority }
        if lhs.deadline != rhs.deadline { return lhs.deadline < rhs.deadline }
        return lhs.sequence < rhs.sequence
    }
}

/// Expiry order: earliest expiry first, arrival order among equals (so expiry lists are deterministic).
struct ExpiryOrder: Sendable, Comparable {
    var expiry: Instant
    var sequence: UInt64

    static func < (lhs: ExpiryOrder, rhs: ExpiryOrder) -> Bool {
        lhs.expiry != rhs.expiry ? lhs.expiry < rhs.expiry : lhs.sequence < rhs.sequence
    }
}
