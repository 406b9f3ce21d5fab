/// The requests of one model waiting for a worker, earliest deadline first.
///
/// Order: Triton priority level (lower value first), then earliest deadline, then first come.
/// Insert, pop, removal by id and removal of each expired request are O(log n): two indexed heaps,
/// one in serving order and one by expiry, share the entries.
public struct DeadlineQueue: Sendable {
    private var entries = IDTable<QueuedRequest>()
    private var byOrder = IndexedHeap<QueueOrder>()
    private var byExpiry = IndexedHeap<ExpiryOrder>()
    private var nextSequence: UInt64 = 0
    /// Counts the changes to the queue: equal revisions, the same requests (`BacklogWalk`).
    private(set) var revision: UInt64 = 0
    /// The serving order of the request inserted last.
    private(set) var lastInsertedOrder: QueueOrder?

    public init() {}

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// The request to serve next.
    public var first: QueuedRequest? { byOrder.min.flatMap { entries[$0.id] } }

    /// The earliest instant at which a queued request expires (see `RequestTargets.expiry`).
    public var nextExpiry: Instant? { byExpiry.min?.key.expiry }

    public func contains(_ id: RequestID) -> Bool { entries[id] != nil }

    /// Queues `request` behind every request with the same priority and deadline.
    /// - Returns: `false`, leaving the queue as it was, if a request with the same id is queued.
    @discardableResult
    public mutating func insert(_ request: QueuedRequest) -> Bool {
        guard entries[request.id] == nil else { return false }
        var request = request
        request.sequence = nextSequence
        nextSequence += 1
        revision &+= 1
        entries[request.id] = request
        lastInsertedOrder = request.order
        byOrder.insert(request.id, key: request.order)
        if let expiry = request.targets.expiry {
            byExpiry.insert(request.id, key: ExpiryOrder(expiry: expiry, sequence: request.sequence))
        }
        return true
    }

    /// Removes and returns the request to serve next.
    public mutating func popFirst() -> QueuedRequest? {
        guard let id = byOrder.min?.id else { return nil }
        return remove(id)
    }

    /// Removes a request wherever it is (served in a batch, or cancelled by its client).
    @discardableResult
    public mutating func remove(_ id: RequestID) -> QueuedRequest? {
        guard let request = entries.removeValue(forKey: id) else { return nil }
        revision &+= 1
        byOrder.remove(id)
        byExpiry.remove(id)
        return request
    }

    /// Removes and returns, earliest expiry first, every request whose expiry is at or before `now`.
    public mutating func removeExpired(now: Instant) -> [QueuedRequest] {
        var expired: [QueuedRequest] = []
        while let next = byExpiry.min, next.key.expiry <= now, let request = remove(next.id) {
            expired.append(request)
        }
        return expired
    }

    /// The first `limit` requests in serving order, without removing them; O(k log k).
    public func prefix(_ limit: Int) -> [QueuedRequest] {
        var result: [QueuedRequest] = []
        guard limit > 0 else { return result }
        result.reserveCapacity(min(limit, count))
        byOrder.forEachInOrder { node in
            result.append(entries[node.id]!)
            return result.count < limit
        }
        return result
    }

    /// Visits queued requests in serving order until `body` returns `false`.
    public func forEachInOrder(_ body: (QueuedRequest) -> Bool) {
        byOrder.forEachInOrder { body(entries[$0.id]!) }
    }
}
