import Testing
import ZenithControl
import ZenithCore

@Suite struct WorkerTests {
    @Test func workersAreBusyFromDispatchUntilCompletion() throws {
        var controller = makeController(workers: 2)
        for id in 1...3 as ClosedRange<UInt64> { controller.admit(RequestID(id), at: ms(0)) }
        let batches = controller.drainRuns(at: ms(0))
        #expect(batches.map(\.worker) == [0, 1] && controller.busyWorkers == 2)
        #expect(controller.workerBusyUntil == [ms(1), ms(1)])
        // Nothing to do with every worker busy and nothing that can expire.
        #expect(controller.nextAction(now: ms(0.5)) == .idle)

        #expect(controller.completed(batches[1].id, measuredNanos: nanos(ms: 1), now: ms(1)) == true)
        #expect(controller.busyWorkers == 1 && controller.workerBusyUntil == [ms(1), nil])
        let third = try controller.run(at: ms(1))
        #expect(third.worker == 1 && third.ids == [3])

        // A failed batch frees its worker and teaches the latency model nothing.
        #expect(controller.failed(third.id) && !controller.failed(third.id))
        #expect(controller.latency.correction(plan: 0) == 1 && controller.busyWorkers == 1)
        #expect(controller.completed(BatchID(99), measuredNanos: 1, now: ms(2)) == false)
    }

    @Test func aBatchRunningPastItsPredictionCountsAsEndingNow() throws {
        var controller = makeController()
        controller.admit(1, at: ms(0))
        _ = try controller.run(at: ms(0))  // predicted to end at 1 ms, still running at 3 ms
        // Request 2 starts at 3 ms (not at the predicted 1 ms) and ends at 4 ms; request 3 after it.
        controller.admit(2, latencyMs: 1.5, accuracy: 0.92, at: ms(3))
        #expect(
            controller.submit(id: 3, requested: RequestedSLO(latencyTargetMs: 1.9, accuracyTarget: 0.92), now: ms(3))
                == .rejected(.sloInfeasible(retryAfterNanos: nanos(ms: 1))))
        controller.admit(4, latencyMs: 2, accuracy: 0.92, at: ms(3))
    }

    @Test func completionWithoutAMeasurementUsesTheTimeSinceDispatch() throws {
        var controller = makeController()
        controller.admit(1, at: ms(0))
        let batch = try controller.run(at: ms(1))
        controller.completed(batch.id, now: ms(3))  // 2 ms for a 1 ms prediction
        // Machine 0.95 × 1 + 0.05 × 2, plan 0.9875 × 1 + 0.0125 × 2 / 1.05, then 1/400 of the way back to 1.
        let plan = 0.9875 + 0.0125 * 2 / 1.05
        #expect(abs(controller.latency.correction(plan: 0) - 1.05 * (plan + (1 - plan) / 400)) < 1e-9)
    }
}
