import Testing

@testable import ZenithControl

@Suite struct PlanCostsTests {
    /// Batches of one plan run twice as slow as calibrated: the machine factor rises, and the
    /// prices selection and admission read move for every plan, not only the one that ran
    /// (a plan no longer run must not keep its old price).
    @Test func aSlowerMachineRepricesEveryPlan() throws {
        var controller = makeController(maxBatchSize: 4)
        var now = ms(0)
        for id in 0..<200 {
            controller.admit(RequestID(UInt64(id)), latencyMs: 1000, accuracy: 0.80, at: now)
            let batch = try controller.run(at: now)
            let took = 2 * Plans.micros(batch.plan.index, batch: batch.members.count) / 1_000
            now = now.advanced(by: nanos(ms: took))
            controller.completed(batch.id, measuredNanos: nanos(ms: took), now: now)
        }
        for plan in Plans.all.indices {
            for batch in [1, 4] {
                #expect(controller.costs.nanos(plan, batch: batch) == controller.latency.predictedNanos(plan: plan, batch: batch))
            }
            #expect(controller.latency.predictedMicros(plan: plan, batch: 1) > 1.5 * Plans.micros(plan, batch: 1))
        }
    }
}
