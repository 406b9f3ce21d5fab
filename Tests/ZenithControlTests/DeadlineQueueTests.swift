import Testing
import ZenithControl
import ZenithCore

@Suite struct DeadlineQueueTests {
    func request(_ id: RequestID, deadline: Instant, priority: UInt32 = 1, expiry policy: InfeasiblePolicy = .bestEffort) -> QueuedRequest {
        QueuedRequest(id: id, targets: RequestTargets(arrival: ms(0), deadline: deadline, accuracyTarget: 0, priority: priority, policy: policy))
    }

    func drain(_ queue: inout DeadlineQueue) -> [RequestID] {
        var ids: [RequestID] = []
        while let next = queue.popFirst() { ids.append(next.id) }
        return ids
    }

    @Test func servesTheEarliestDeadlineFirst() {
        var queue = DeadlineQueue()
        for (id, deadline) in [(1, 30.0), (2, 10), (3, 20), (4, 5)] { queue.insert(request(RequestID(UInt64(id)), deadline: ms(deadline))) }
        #expect(queue.first?.id == 4)
        #expect(drain(&queue) == [4, 2, 3, 1])
    }

    @Test func equalDeadlinesAreServedFirstComeFirstServed() {
        var queue = DeadlineQueue()
        for id in [5, 3, 9, 1] as [RequestID] { queue.insert(request(id, deadline: ms(10))) }
        queue.insert(request(7, deadline: .distantFuture))
        queue.insert(request(8, deadline: .distantFuture))
        #expect(drain(&queue) == [5, 3, 9, 1, 7, 8])
    }

    @Test func aHigherPriorityLevelGoesFirstWithEDFInsideEachLevel() {
        var queue = DeadlineQueue()
        queue.insert(request(1, deadline: ms(5), priority: 2))
        queue.insert(request(2, deadline: ms(50), priority: 1))
        queue.insert(request(3, deadline: ms(1), priority: 3))
        queue.insert(request(4, deadline: ms(20), priority: 1))
        queue.insert(request(5, deadline: ms(2), priority: 2))
        #expect(queue.prefix(3).map(\.id) == [4, 2, 5])
        #expect(drain(&queue) == [4, 2, 5, 1, 3])
    }

    @Test func removesAnyRequestAndExpiredOnesInExpiryOrder() {
        var queue = DeadlineQueue()
        queue.insert(request(1, deadline: ms(10), expiry: .reject))
        queue.insert(request(2, deadline: ms(5), priority: 2, expiry: .reject))
        queue.insert(request(3, deadline: ms(7), expiry: .bestEffort))  // no timeout: never expires
        queue.insert(request(4, deadline: ms(20), expiry: .reject))
        #expect(queue.insert(request(4, deadline: ms(1))) == false)
        #expect(queue.nextExpiry == ms(5))
        #expect(queue.remove(4)?.id == 4 && queue.remove(4) == nil)
        #expect(queue.removeExpired(now: ms(9.9)).map(\.id) == [2])
        #expect(queue.removeExpired(now: ms(100)).map(\.id) == [1])
        #expect(queue.nextExpiry == nil && queue.count == 1 && queue.first?.id == 3)
    }

    /// Random inserts, pops and removals against a sorted array.
    @Test(arguments: 0..<20) func matchesASortedReferenceUnderRandomOperations(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var queue = DeadlineQueue()
        var reference: [(key: (UInt32, UInt64, Int), id: RequestID, expiry: UInt64)] = []
        var sequence = 0
        var nextID: UInt64 = 0
        for _ in 0..<400 {
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5:
                let priority = UInt32.random(in: 1...3, using: &random)
                let deadline = UInt64.random(in: 1...40, using: &random) * 1_000_000  // ties are frequent
                let id = RequestID(nextID)
                nextID += 1
                queue.insert(request(id, deadline: Instant(nanoseconds: deadline), priority: priority, expiry: .reject))
                reference.append(((priority, deadline, sequence), id, deadline))
                sequence += 1
            case 5..<7:
                reference.sort { $0.key < $1.key }
                #expect(queue.popFirst()?.id == (reference.isEmpty ? nil : reference.removeFirst().id))
            case 7..<9:
                guard let victim = reference.randomElement(using: &random) else { continue }
                reference.removeAll { $0.id == victim.id }
                #expect(queue.remove(victim.id)?.id == victim.id)
            default:
                let now = UInt64.random(in: 0...20, using: &random) * 1_000_000
                let expired = reference.filter { $0.expiry <= now }.sorted { ($0.expiry, $0.key.2) < ($1.expiry, $1.key.2) }
                reference.removeAll { $0.expiry <= now }
                #expect(queue.removeExpired(now: Instant(nanoseconds: now)).map(\.id) == expired.map(\.id))
            }
            reference.sort { $0.key < $1.key }
            #expect(queue.count == reference.count)
            #expect(queue.prefix(5).map(\.id) == reference.prefix(5).map(\.id))
        }
    }
}
