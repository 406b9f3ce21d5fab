import NIOPosix
import Synchronization
import Testing
import ZenithData
import ZenithLoad

/// The progress lines `zenith-load run` writes while a run goes on.
@Suite struct RunProgressTests {
    @Test func aLineSaysTimeSendsAnswersAndRecentAttainment() {
        #expect(
            RunProgress.line(
                mode: "slo", elapsedSeconds: 15.2, durationSeconds: 60, sent: 3000, scheduled: 12000, answered: 2990,
                attained: 996, judged: 1000, intervalSeconds: 5)
                == "slo: 15 s of 60 s, sent 3000 of 12000, answered 2990, attainment 99.6% of the last 5 s's answers")
        #expect(
            RunProgress.line(
                mode: "dense", elapsedSeconds: 65, durationSeconds: 60, sent: 12000, scheduled: 12000, answered: 11000,
                attained: 0, judged: 0, intervalSeconds: 5)
                == "dense: 65 s, waiting for answers, sent 12000 of 12000, answered 11000, no answers in the last 5 s")
    }

    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    /// The fake reports expected accuracy 0.92: a 0.9 target is met by every answer, 0.93 by none.
    /// Three seconds of sends: under a sanitizer's slowdown the first answers took two seconds to
    /// come, after a one-second run had stopped reporting.
    @Test(arguments: [(0.9, "attainment 100.0%"), (0.93, "attainment 0.0%")])
    func aRunReportsWhileItGoesOnAndJudgesTheAnswers(accuracyTarget: Double, attainment: String) async throws {
        let classes = [SLOClass(name: "default", share: 1, latencyTargetMs: 60_000, accuracyTarget: accuracyTarget)]
        var scenario = makeScenario(.constant, rate: .absolute(200), duration: 3, classes: classes)
        scenario.encoding = .json
        let pool = PayloadPool(
            images: tinyImages(20), size: 20, model: "fashion-cnn", inputShape: [1, 2, 2], classes: classes,
            encoding: .json)
        let schedule = RequestSchedule(scenario: scenario, rate: 200, poolSize: pool.size)
        let lines = Lines()
        try await withServer(FakeZenith(expectedAccuracy: 0.92)) { endpoint in
            let record = try await ScenarioRunner(
                scenario: scenario, schedule: schedule, pool: pool, options: RunOptions(connections: 2)
            ).run(
                mode: "slo", endpoint: endpoint, operatorEndpoint: nil, durationSeconds: 3,
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                progress: RunProgress(interval: .milliseconds(200), maxJudged: 10, report: lines.append))
            #expect(record.samples.count == 600)
        }
        let written = lines.all
        #expect(written.count >= 2, "\(written)")
        #expect(written.allSatisfy { $0.hasPrefix("slo: ") && $0.contains(" of 600, answered ") }, "\(written)")
        // Every line with answers judged them against the targets.
        let judged = written.filter { $0.contains("attainment") }
        #expect(!judged.isEmpty, "\(written)")
        #expect(judged.allSatisfy { $0.hasSuffix("\(attainment) of the last 0.2 s's answers") }, "\(written)")
        // The sends counted only grow, up to the schedule's.
        let sent = written.map { line -> Int in
            let words = line.split(separator: " ")
            return words.firstIndex(of: "sent").flatMap { Int(words[$0 + 1]) } ?? -1
        }
        #expect(sent == sent.sorted() && sent.allSatisfy { (1...600).contains($0) }, "\(written)")
    }
}
