import Testing
import ZenithLoad

@Suite struct SummaryTests {
    private func record(_ samples: [Sample], mode: String = "slo", duration: Double = 2) -> RunRecord {
        RunRecord(mode: mode, samples: samples, actions: [], durationSeconds: duration, offeredRate: Double(samples.count) / duration)
    }

    @Test func attainmentCountsEverySentRequest() {
        let samples = [
            sample(index: 0, latencyMs: 2),  // met
            sample(index: 1, latencyMs: 9.9, plan: "exit-025", expectedAccuracy: 0.9336),  // met
            sample(index: 2, latencyMs: 12),  // too slow
            sample(index: 3, latencyMs: 1, plan: "branch-only", expectedAccuracy: 0.89),  // fast but below the accuracy target
            sample(index: 4, latencyMs: 0.5, status: 429, reason: "slo_infeasible"),  // a rejection is a miss
            sample(index: 5, latencyMs: nil, status: 0, reason: "no_answer"),  // lost
        ]
        #expect(samples.map(\.attained) == [true, true, false, false, false, false])
        let summary = RunSummary(record(samples))
        #expect(summary.sent == 6)
        #expect(summary.answered == 4)
        #expect(abs(summary.attainment - 2.0 / 6.0) < 1e-12)
        #expect(summary.rejects == ["slo_infeasible": 1, "no_answer": 1])
        #expect(summary.planCounts == ["dense": 2, "exit-025": 1, "branch-only": 1])
        #expect(summary.offeredRate == 3)
        #expect(summary.throughput == 2)
    }

    @Test func latencyCountsFromTheScheduledSendTime() {
        var late = sample(latencyMs: 8)
        // Sent 5 ms behind schedule and answered 8 ms after the schedule: latency 8, not 3.
        late.sentNanos = late.scheduledNanos + 5_000_000
        #expect(late.latencyNanos == 8_000_000)
        #expect(late.lateNanos == 5_000_000)
        let summary = RunSummary(record([late, sample(index: 1)]))
        #expect(summary.lateShare == 0.5)
        #expect(abs(summary.sendLatenessMs.max - 5) < 0.01)
    }

    @Test func servedAccuracyIsOverAnswersAndGoodputOverSent() {
        let samples = [
            sample(index: 0, predicted: [1], labels: [1]),
            sample(index: 1, predicted: [2], labels: [1]),
            sample(index: 2, predicted: [4], labels: [4]),
            sample(index: 3, predicted: [5], labels: [5]),
            sample(index: 4, status: 503, reason: "queue_full"),
        ]
        let summary = RunSummary(record(samples))
        #expect(summary.servedAccuracy == 0.75)
        #expect(summary.goodputAccuracy == 0.6)
        #expect(samples[1].correctImages == 0)
        #expect(samples[4].correctImages == nil)
        #expect(summary.imagesPerRequest == 1)
    }

    @Test func servedAccuracyCountsImagesWhenRequestsCarrySeveral() {
        let samples = [
            // 3 of 4 right, within its targets.
            sample(index: 0, latencyMs: 2, predicted: [1, 2, 3, 0], labels: [1, 2, 3, 4]),
            // 4 of 4 right, but too slow: still counts for accuracy, not for attainment.
            sample(index: 1, latencyMs: 20, predicted: [5, 6, 7, 8], labels: [5, 6, 7, 8]),
            // 1 of 4 right, served by a plan below the accuracy target.
            sample(index: 2, latencyMs: 2, expectedAccuracy: 0.85, predicted: [9, 9, 9, 9], labels: [9, 0, 1, 2]),
            // Refused: its 4 images count as sent, not as answered.
            sample(index: 3, status: 429, labels: [3, 3, 3, 3], reason: "slo_infeasible"),
        ]
        #expect(samples.map(\.correctImages) == [3, 4, 1, nil])
        #expect(samples.map(\.attained) == [true, false, false, false])
        let summary = RunSummary(record(samples, duration: 2))
        #expect(summary.sent == 4)
        #expect(summary.answered == 3)
        #expect(summary.sentImages == 16)
        #expect(summary.answeredImages == 12)
        #expect(summary.correctImages == 8)
        #expect(summary.imagesPerRequest == 4)
        // Attainment stays per request; accuracies are per image.
        #expect(summary.attainment == 0.25)
        #expect(summary.servedAccuracy == 8.0 / 12.0)
        #expect(summary.goodputAccuracy == 0.5)
        #expect(summary.throughput == 1.5)
        #expect(summary.imageThroughput == 6)
        #expect(summary.offeredImageRate == 8)
        #expect(summary.classes.first?.servedAccuracy == 8.0 / 12.0)
        #expect(summary.timeline.first?.servedAccuracy == 8.0 / 12.0)
    }

    @Test func anAnswerWithTooFewPredictionsIsNotAnswered() {
        let short = sample(predicted: [1, 2], labels: [1, 2, 3])
        #expect(!short.answered)
        #expect(short.correctImages == nil)
        #expect(!short.attained)
    }

    @Test func percentilesComeFromTheHistogram() {
        let samples = (0..<1000).map { sample(index: $0, atSeconds: 0, latencyMs: Double($0 + 1) / 10) }
        let summary = RunSummary(record(samples))
        // HDR keeps 3 significant digits: 50.0 ms and 99.0 ms within 0.1%.
        #expect(abs(summary.latencyMs.p50 - 50.0) < 0.06)
        #expect(abs(summary.latencyMs.p99 - 99.0) < 0.1)
        #expect(abs(summary.latencyMs.max - 100.0) < 0.1)
    }

    @Test func timelineAndClassesSplitTheSamples() {
        let samples = [
            sample(index: 0, sloClass: "gold", atSeconds: 0.2, latencyMs: 3, latencyTargetMs: 5),
            sample(index: 1, sloClass: "silver", atSeconds: 0.7, latencyMs: 30, latencyTargetMs: 25),
            sample(index: 2, sloClass: "gold", atSeconds: 1.5, plan: "exit-025", latencyTargetMs: 5),
            sample(index: 3, sloClass: "silver", atSeconds: 1.9, status: 429, reason: "slo_infeasible"),
        ]
        let summary = RunSummary(record(samples))
        #expect(summary.timeline.count == 2)
        #expect(summary.timeline[0].sent == 2)
        #expect(summary.timeline[0].attainment == 0.5)
        #expect(summary.timeline[1].plans == ["exit-025": 1])
        #expect(summary.timeline[1].answered == 1)
        #expect(summary.classes.map(\.name) == ["gold", "silver"])
        #expect(summary.classes[0].attainment == 1)
        #expect(summary.classes[1].attainment == 0)
    }

    @Test func operatorActionsMoveTheJudgedTargets() {
        let byDefault = SLOClass(name: "d", share: 1, latencyTargetMs: 10, accuracyTarget: 0.93, delivery: .modelDefault)
        let fixed = SLOClass(name: "p", share: 1, latencyTargetMs: 10, accuracyTarget: 0.93)
        let scenario = makeScenario(
            classes: [byDefault, fixed], actions: [OperatorAction(atSeconds: 30, accuracyTarget: 0.9087)])
        #expect(scenario.targets(of: byDefault, at: 29.9) == (10, 0.93))
        #expect(scenario.targets(of: byDefault, at: 30) == (10, 0.9087))
        #expect(scenario.targets(of: fixed, at: 45) == (10, 0.93))
    }
}
