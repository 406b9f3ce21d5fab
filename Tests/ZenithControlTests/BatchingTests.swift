import Testing
import ZenithControl
import ZenithCore

@Suite struct BatchingTests {
    @Test func groupsQueuedRequestsUpToTheMaxBatchSize() throws {
        var controller = makeController(workers: 2, maxBatchSize: 4)
        for id in 1...6 as ClosedRange<UInt64> { controller.admit(RequestID(id), at: ms(0)) }
        let batches = controller.drainRuns(at: ms(0))
        #expect(batches.map(\.ids) == [[1, 2, 3, 4], [5, 6]])
        #expect(batches.map(\.plan.name) == ["dense", "dense"])
        #expect(batches[0].predictedNanos == nanos(ms: 1.9))  // 1000 + 3 × 300 µs
        #expect(controller.queueDepth == 0)
    }

    @Test func skipsARequestThatAdmitsNoCommonPlanAndLeavesItQueued() throws {
        var controller = makeController(maxBatchSize: 4)
        controller.admit(1, latencyMs: 0.5, accuracy: 0.80, at: ms(0))
        controller.admit(2, latencyMs: 10, accuracy: 0.92, at: ms(0))  // dense cannot finish by 0.5 ms
        controller.admit(3, latencyMs: 10, accuracy: 0.80, at: ms(0))
        let batch = try controller.run(at: ms(0))
        #expect(batch.ids == [1, 3] && batch.plan.name == "low")  // 450 µs for two
        #expect(controller.queue.first?.id == 2)
    }

    @Test func aLoneRequestWaitsForCompanyAtMostTheMaxQueueDelay() throws {
        var controller = makeController(maxBatchSize: 4, maxQueueDelayMs: 2)
        controller.admit(1, at: ms(0))
        #expect(controller.nextAction(now: ms(0)) == .wait(until: ms(2)))
        controller.admit(2, at: ms(1))
        // The delay counts from the oldest member's arrival.
        #expect(controller.nextAction(now: ms(1)) == .wait(until: ms(2)))
        let batch = try controller.run(at: ms(2))
        #expect(batch.ids == [1, 2] && batch.members.map(\.queueNanos) == [nanos(ms: 2), nanos(ms: 1)])
    }

    /// A plan that costs the same per sample in any batch gains nothing from company: the lone
    /// request runs at once rather than leaving the worker idle for the delay.
    @Test func doesNotWaitForCompanyWhenAFullBatchCostsAsMuchPerSample() throws {
        let linear = Plans.profile([(name: "linear", accuracy: 0.9, base: 300, perItem: 300)])
        var controller = makeController(profile: linear, maxBatchSize: 4, maxQueueDelayMs: 2)
        controller.admit(1, at: ms(0))
        let batch = try controller.run(at: ms(0))
        #expect(batch.ids == [1] && batch.members[0].queueNanos == 0)
    }

    @Test func waitsForCompanyOnlyWhenTheBatchWouldTakeTheLastIdleWorker() throws {
        var controller = makeController(workers: 2, maxBatchSize: 4, maxQueueDelayMs: 2)
        controller.admit(1, at: ms(0))
        // Another worker stays idle: no reason to hold the request back.
        let first = try controller.run(at: ms(0))
        #expect(first.ids == [1] && first.members[0].queueNanos == 0)
        controller.admit(2, at: ms(0.1))
        #expect(controller.nextAction(now: ms(0.1)) == .wait(until: ms(2.1)))
        controller.admit(3, at: ms(0.5))
        #expect(try controller.run(at: ms(2.1)).ids == [2, 3])
    }

    @Test func neverWaitsSoLongThatItsPlanWouldMissTheDeadline() throws {
        var controller = makeController(maxBatchSize: 4, maxQueueDelayMs: 2)
        controller.admit(1, latencyMs: 1.5, accuracy: 0.92, at: ms(0))
        // dense takes 1 ms: it must start by 0.5 ms.
        #expect(controller.nextAction(now: ms(0)) == .wait(until: ms(0.5)))
        let batch = try controller.run(at: ms(0.5))
        #expect(batch.plan.name == "dense" && batch.predictedCompletion == ms(1.5))
    }

    @Test func aFullBatchOrALongerQueueDoesNotWait() throws {
        var controller = makeController(maxBatchSize: 2, maxQueueDelayMs: 2)
        controller.admit(1, at: ms(0))
        controller.admit(2, at: ms(0))
        let controllerBatch = try controller.run(at: ms(0))
        #expect(controllerBatch.ids == [1, 2])

        // A skipped request still queued means someone else needs the worker: no waiting either.
        var skipping = makeController(maxBatchSize: 4, maxQueueDelayMs: 2)
        skipping.admit(1, latencyMs: 0.5, accuracy: 0.80, at: ms(0))
        skipping.admit(2, latencyMs: 10, accuracy: 0.92, at: ms(0))
        let skippingBatch = try skipping.run(at: ms(0))
        #expect(skippingBatch.ids == [1])
    }
}
