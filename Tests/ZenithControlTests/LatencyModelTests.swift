import Testing
import ZenithControl
import ZenithCore

@Suite struct LatencyModelTests {
    /// dense profiled at batch 1, 4 and 16 only; fast profiled at batch 1 only.
    static let profile = try! ModelProfile(plans: [
        PlanProfile(name: "dense", expectedAccuracy: 0.9, latencyMicros: [1: 100, 4: 220, 16: 460]),
        PlanProfile(name: "fast", expectedAccuracy: 0.8, latencyMicros: [1: 40]),
    ])

    @Test func startsFromTheProfileAndInterpolatesBetweenProfiledBatchSizes() {
        let model = LatencyModel(profile: Self.profile)
        #expect(model.predictedMicros(plan: 0, batch: 1) == 100)
        #expect(model.predictedMicros(plan: 0, batch: 2) == 140)
        #expect(model.predictedMicros(plan: 0, batch: 10) == 340)
        #expect(model.predictedMicros(plan: 0, batch: 16) == 460)
        // Beyond the last point the last slope continues; a single point grows in proportion.
        #expect(model.predictedMicros(plan: 0, batch: 20) == 540)
        #expect(model.predictedMicros(plan: 1, batch: 3) == 120)
        #expect(model.predictedNanos(plan: 0, batch: 2) == 140_000)
        #expect(model.correction(plan: 0) == 1)
    }

    @Test func aWarmUpSampleReplacesThePriorAndMovesTheRestOfThePlansCurve() {
        var model = LatencyModel(profile: Self.profile)
        #expect(model.calibrate(plan: 0, batch: 1, measuredNanos: 150_000) == true)
        #expect(model.predictedMicros(plan: 0, batch: 1) == 150)
        // The unmeasured points scale by the plan's measured/profiled ratio (1.5).
        #expect(model.predictedMicros(plan: 0, batch: 4) == 330)
        #expect(model.predictedMicros(plan: 0, batch: 16) == 690)
        // Other plans keep their prior.
        #expect(model.predictedMicros(plan: 1, batch: 1) == 40)

        // A second sample for the same point blends (mean); a measured point is not scaled.
        model.calibrate(plan: 0, batch: 1, measuredNanos: 250_000)
        #expect(model.predictedMicros(plan: 0, batch: 1) == 200)
        model.calibrate(plan: 0, batch: 16, measuredNanos: 460_000)
        #expect(model.predictedMicros(plan: 0, batch: 16) == 460)
        // Mean ratio over the two measured points: (2.0 + 1.0) / 2.
        #expect(model.predictedMicros(plan: 0, batch: 4) == 330)

        // A size that was never profiled becomes a point of its own.
        model.calibrate(plan: 1, batch: 8, measuredNanos: 100_000)
        #expect(model.predictedMicros(plan: 1, batch: 8) == 100)
        #expect(abs(model.predictedMicros(plan: 1, batch: 4) - (40 + 60.0 * 3 / 7)) < 1e-9)

        #expect(model.calibrate(plan: 7, batch: 1, measuredNanos: 1) == false)
        #expect(model.calibrate(plan: 0, batch: 0, measuredNanos: 1) == false)
    }

    @Test func onlineCorrectionConvergesToASlowerMachine() {
        var model = LatencyModel(profile: Self.profile, smoothing: 0.2)
        // The real machine is 1.8× slower than the profile, at every batch size.
        for round in 0..<40 {
            let batch = [1, 4, 16][round % 3]
            let real = UInt64(1.8 * model.calibratedMicros(plan: 0, batch: batch) * 1_000)
            model.record(plan: 0, batch: batch, measuredNanos: real)
        }
        #expect(abs(model.correction(plan: 0) - 1.8) < 0.01)
        #expect(abs(model.predictedMicros(plan: 0, batch: 10) - 1.8 * 340) < 4)
        // A slower machine is slower for every plan, including those not run.
        #expect(abs(model.correction(plan: 1) - 1.8) < 0.18)
    }

    /// Under overload every plan ran 3× slower, then the controller kept to the cheap plan; when
    /// the load goes, the cheap plan's batches bring every plan's prediction back, so the
    /// controller returns to dense (a per-plan average would keep dense at 3× forever).
    @Test func aRecoverySeenOnOnePlanReachesThePlansNotRun() {
        var model = LatencyModel(profile: Self.profile)
        for _ in 0..<100 {
            model.record(plan: 0, batch: 1, measuredNanos: 300_000)  // dense: 3 × 100 µs
            model.record(plan: 1, batch: 1, measuredNanos: 120_000)  // cheap: 3 × 40 µs
        }
        #expect(abs(model.correction(plan: 0) - 3) < 0.1)
        for _ in 0..<150 { model.record(plan: 1, batch: 1, measuredNanos: 40_000) }  // load gone; dense unused
        #expect(abs(model.correction(plan: 1) - 1) < 0.02)
        // Within a third of the way back: dense's own batches, once the controller runs it again,
        // correct the rest.
        #expect(model.correction(plan: 0) < 1.3, "dense is still priced at \(model.correction(plan: 0))× calibrated")
    }

    /// A plan that really is slower than calibrated, relative to the others, keeps that.
    @Test func aPlansOwnDifferenceIsKept() {
        var model = LatencyModel(profile: Self.profile)
        for _ in 0..<2000 {
            model.record(plan: 0, batch: 1, measuredNanos: 150_000)  // dense 1.5× calibrated
            model.record(plan: 1, batch: 1, measuredNanos: 40_000)  // cheap as calibrated
        }
        #expect(abs(model.correction(plan: 0) - 1.5) < 0.1)
        #expect(abs(model.correction(plan: 1) - 1) < 0.1)
    }

    @Test func onlineCorrectionFollowsColocatedLoadComingAndGoing() {
        var model = LatencyModel(profile: Self.profile)
        // 150 batches: well under a second of a loaded server.
        for _ in 0..<150 { model.record(plan: 1, batch: 1, measuredNanos: 120_000) }  // 3× under load
        #expect(abs(model.correction(plan: 1) - 3) < 0.03)
        for _ in 0..<150 { model.record(plan: 1, batch: 1, measuredNanos: 40_000) }  // load gone
        #expect(abs(model.correction(plan: 1) - 1) < 0.01)
    }

    @Test func oneStallMovesTheCorrectionByABoundedAmount() {
        var model = LatencyModel(profile: Self.profile, smoothing: 0.2)
        model.record(plan: 0, batch: 1, measuredNanos: 100_000_000)  // 1000× the prediction
        // The sample counts as at most 4× the current correction (machine 0.8 × 1 + 0.2 × 4 = 1.6,
        // the plan's factor a little above 1).
        #expect(model.correction(plan: 0) < 1.8)
        #expect(model.record(plan: 0, batch: 1, measuredNanos: 0) == false)
    }

    /// One batch in ten runs twice as long as the others (the workers share a core with a busy
    /// frontend): the mean-following correction settles near 1.1, the overrun near the slow
    /// batches' 2 / 1.1, and once the slow batches stop, the overrun returns to 1.
    @Test func theOverrunFollowsTheSlowBatchesAndReturnsWhenTheyStop() {
        var model = LatencyModel(profile: Self.profile)
        #expect(model.overrun == 1)
        for round in 0..<3_000 {
            let slow = round % 10 == 0 ? 2.0 : 1.0
            model.record(plan: 0, batch: 4, measuredNanos: UInt64(slow * 220_000))
        }
        #expect(abs(model.correction(plan: 0) - 1.1) < 0.1)
        #expect(model.overrun > 1.5 && model.overrun < 2.1, "\(model.overrun)")
        for _ in 0..<3_000 { model.record(plan: 0, batch: 4, measuredNanos: 220_000) }
        #expect(model.overrun < 1.05, "\(model.overrun)")
        model.calibrate(plan: 0, batch: 4, measuredNanos: 220_000)
        #expect(model.overrun == 1)
    }

    @Test func calibrationRestartsTheOnlineCorrection() {
        var model = LatencyModel(profile: Self.profile)
        for _ in 0..<60 { model.record(plan: 0, batch: 1, measuredNanos: 200_000) }
        #expect(model.correction(plan: 0) > 1.5)
        model.calibrate(plan: 0, batch: 1, measuredNanos: 200_000)
        #expect(model.correction(plan: 0) == 1 && model.predictedMicros(plan: 0, batch: 1) == 200)
    }

    @Test func theControllerFeedsMeasuredBatchesAndWarmUpsToItsModel() throws {
        var controller = makeController(profile: Self.profile)
        controller.calibrate(plan: 1, batch: 1, measuredNanos: 80_000)
        #expect(controller.latency.predictedMicros(plan: 1, batch: 1) == 80)

        controller.admit(1, at: ms(0))
        let batch = try controller.run(at: ms(0))
        #expect(batch.plan.name == "dense" && batch.predictedNanos == 100_000)
        #expect(controller.completed(batch.id, measuredNanos: 300_000, now: ms(0.3)) == true)
        // Machine 0.95 × 1 + 0.05 × 3, plan 0.9875 × 1 + 0.0125 × 3 / 1.1, then 1/400 of the way back to 1.
        let plan = 0.9875 + 0.0125 * 3 / 1.1
        #expect(abs(controller.latency.correction(plan: 0) - 1.1 * (plan + (1 - plan) / 400)) < 1e-9)
        #expect(controller.completed(batch.id, measuredNanos: 300_000, now: ms(0.3)) == false)
    }

    @Test func profilesAreCheckedAndJoinedWithTheModelsPlans() throws {
        #expect(throws: ProfileError.noPlans) { try ModelProfile(plans: []) }
        #expect(throws: ProfileError.accuracyOutOfRange(plan: "x", 1.5)) {
            try ModelProfile(plans: [PlanProfile(name: "x", expectedAccuracy: 1.5, latencyMicros: [1: 1])])
        }
        #expect(throws: ProfileError.noLatency(plan: "x")) {
            try ModelProfile(plans: [PlanProfile(name: "x", expectedAccuracy: 0.5, latencyMicros: [:])])
        }
        #expect(throws: ProfileError.invalidLatency(plan: "x", batch: 0, 5)) {
            try ModelProfile(plans: [PlanProfile(name: "x", expectedAccuracy: 0.5, latencyMicros: [0: 5])])
        }
        let config = ModelConfig(
            name: "m", version: 1, maxBatchSize: 8, labelsFile: nil, inputs: [], outputs: [],
            graph: GraphSpec(input: "input", output: "logits", nodes: []), plans: [PlanSpec(name: "dense"), PlanSpec(name: "w50", width: ["fc1": WidthSpec(keep: 50)])],
            sloDefaults: SLOTargets(latencyTargetMs: 10, accuracyTarget: 0.8), infeasiblePolicy: .bestEffort,
            batching: BatchingSpec(maxBatchSize: 8, maxQueueDelayMicroseconds: 500),
            validation: ValidationSplit(source: "train", start: 55000, count: 5000))
        let profile = try ModelProfile(
            config: config, accuracy: ["dense": 0.9, "w50": 0.85], latencyMicros: ["dense": [1: 100], "w50": [1: 50]])
        #expect(profile.plans.map(\.name) == ["dense", "w50"] && profile.plans.map(\.index) == [0, 1])
        #expect(profile.dense.expectedAccuracy == 0.9 && profile.bestAccuracy == 0.9)
        #expect(throws: ProfileError.missingPlan("w50")) {
            try ModelProfile(config: config, accuracy: ["dense": 0.9], latencyMicros: [:])
        }
        let policy = SLOPolicy(config: config)
        #expect(policy.modelDefaults.latencyTargetMs == 10 && policy.infeasiblePolicy == .bestEffort)
        let configuration = ControllerConfiguration(batching: config.batching, workers: 2)
        #expect(configuration.maxBatchSize == 8 && configuration.maxQueueDelayNanos == 500_000 && configuration.workers == 2)
    }
}
