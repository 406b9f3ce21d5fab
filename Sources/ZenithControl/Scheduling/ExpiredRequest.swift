/// A request answered without compute, and why.
public struct ExpiredRequest: Sendable, Equatable {
    public var id: RequestID
    public var reason: ExpiryReason
    /// Time spent queued before it was given up.
    public var queueNanos: UInt64

    public init(id: RequestID, reason: ExpiryReason, queueNanos: UInt64) {
        self.id = id
        self.reason = reason
        self.queueNanos = queueNanos
    }
}
