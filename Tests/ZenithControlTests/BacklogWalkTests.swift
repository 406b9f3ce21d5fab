import Testing
import ZenithCore

@testable import ZenithControl

@Suite struct BacklogWalkTests {
    /// Two controllers fed the same random life — arrivals mostly at the queue's tail, some with
    /// tighter targets or several samples (or all without a latency target: equal deadlines, first
    /// come first served, as a fixed-plan server queues every request), batches dispatched and
    /// finished with measured times that move the prices, cancellations, expiries — one resuming
    /// admission's walk over the queue, one walking it every time, decide alike at every step; and
    /// a good share of the admissions resume. With `inline`, each batch runs to its end as soon as
    /// it is dispatched, as on the event loop between reads (`--idle-poll`): every arrival then
    /// finds the workers idle, free "now", and the walk is resumed moved to the new now.
    @Test(arguments: [(1, false, false), (2, false, false), (3, false, false), (4, true, false), (5, false, true),
                      (6, true, true)] as [(UInt64, Bool, Bool)])
    func resumingTheWalkDecidesAsAFullWalk(seed: UInt64, withoutDeadlines: Bool, inline: Bool) {
        var rng = SplitMix64(seed: seed)
        var resuming = makeController(workers: 2, maxBatchSize: 8, maxQueueDelayMs: 0.5)
        var walking = resuming
        walking.resumesBacklogWalk = false
        var now = ms(0)
        var nextID: UInt64 = 1
        var running: [(batch: BatchID, end: Instant, nanos: UInt64)] = []
        var queuedIDs: [RequestID] = []
        var submissions = 0
        for _ in 0..<6_000 {
            now = now.advanced(by: UInt64.random(in: 0...120_000, using: &rng))
            switch UInt64.random(in: 0..<100, using: &rng) {
            case 0..<70:
                // Mostly one class of request, so mostly arrivals at the tail.
                let kind = UInt64.random(in: 0..<10, using: &rng)
                let latency: Double? = withoutDeadlines ? nil : kind == 0 ? 3 : 25
                let requested = RequestedSLO(
                    latencyTargetMs: latency, accuracyTarget: [0.8, 0.85, 0.89][Int.random(in: 0..<3, using: &rng)])
                let count = UInt64.random(in: 0..<8, using: &rng) == 0 ? Int.random(in: 2...12, using: &rng) : 1
                let ids = (0..<count).map { RequestID(nextID + UInt64($0)) }
                nextID += UInt64(count)
                guard case .success(let targets) = resuming.policy.resolve(requested, arrival: now, bestAccuracy: 0.92)
                else { continue }
                let decision = resuming.submit(ids: ids, targets: targets, now: now)
                #expect(decision == walking.submit(ids: ids, targets: targets, now: now))
                if case .admitted = decision { queuedIDs += ids }
                submissions += 1
            case 70..<75:
                guard let id = queuedIDs.randomElement(using: &rng) else { continue }
                #expect(resuming.cancel(id) == walking.cancel(id))
            default:
                while let index = running.firstIndex(where: { $0.end <= now }) {
                    let done = running.remove(at: index)
                    let finished = resuming.completed(done.batch, measuredNanos: done.nanos, now: done.end)
                    #expect(finished == walking.completed(done.batch, measuredNanos: done.nanos, now: done.end))
                }
                while true {
                    let action = resuming.nextAction(now: now)
                    #expect(action == walking.nextAction(now: now))
                    guard case .run(let batch) = action else { break }
                    // Batches run 0.7–1.6 times their prediction, so the correction keeps moving.
                    let nanos = UInt64(Double(batch.predictedNanos) * Double.random(in: 0.7...1.6, using: &rng))
                    if inline {
                        now = now.advanced(by: nanos)
                        let finished = resuming.completed(batch.id, measuredNanos: nanos, now: now)
                        #expect(finished == walking.completed(batch.id, measuredNanos: nanos, now: now))
                    } else {
                        running.append((batch.id, now.advanced(by: nanos), nanos))
                    }
                }
            }
        }
        #expect(submissions > 3_000)
        #expect(resuming.resumedBacklogWalks > submissions / 8, "\(resuming.resumedBacklogWalks) of \(submissions)")
        #expect(walking.resumedBacklogWalks == 0)
    }
}
