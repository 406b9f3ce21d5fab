import Testing
import ZenithControl
import ZenithCore

@Suite struct ExpiryTests {
    @Test func aRequestWhoseDeadlinePassedIsAnsweredBeforeAnyCompute() throws {
        var controller = makeController()
        controller.admit(1, at: ms(0))
        let first = try controller.run(at: ms(0))  // dense, predicted to end at 1 ms
        controller.admit(2, latencyMs: 1.5, at: ms(0))  // tiny after it: 1.2 ms
        controller.admit(3, latencyMs: 8, at: ms(0))
        // While the worker is busy the controller asks to be woken for the first expiry.
        #expect(controller.nextAction(now: ms(1)) == .wait(until: ms(1.5)))
        #expect(controller.nextAction(now: ms(1.6)) == .expire([ExpiredRequest(id: 2, reason: .deadlinePassed, queueNanos: nanos(ms: 1.6))]))
        controller.completed(first.id, now: ms(1.7))
        let controllerBatch = try controller.run(at: ms(1.7))
        #expect(controllerBatch.ids == [3])
    }

    @Test func bestEffortRequestsAreServedLateButNeverPastTheirTimeout() throws {
        var controller = makeController(policy: policy(.bestEffort))
        controller.admit(1, at: ms(0))
        let first = try controller.run(at: ms(0))
        // Feasible when admitted (dense from 1 ms to 2 ms), but the running batch overruns to 4 ms.
        controller.admit(2, latencyMs: 2.5, accuracy: 0.92, at: ms(0))
        let timed = RequestedSLO(latencyTargetMs: 1.5, accuracyTarget: 0.92, timeoutMicros: 3_000)
        #expect(controller.submit(id: 3, requested: timed, now: ms(0)) == .admitted(deadline: ms(1.5), bestEffort: true))
        #expect(controller.nextAction(now: ms(2)) == .wait(until: ms(3)))
        #expect(controller.nextAction(now: ms(3)) == .expire([ExpiredRequest(id: 3, reason: .timedOut, queueNanos: nanos(ms: 3))]))

        controller.completed(first.id, now: ms(4))
        let batch = try controller.run(at: ms(4))
        #expect(batch.ids == [2] && batch.choice == .bestEffort && batch.members[0].bestEffort)
    }

    @Test func aCancelledRequestLeavesTheQueue() {
        var controller = makeController()
        controller.admit(1, at: ms(0))
        #expect(controller.cancel(1) && !controller.cancel(1))
        #expect(controller.nextAction(now: ms(0)) == .idle)
    }
}
