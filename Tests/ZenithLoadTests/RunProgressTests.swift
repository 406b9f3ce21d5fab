import NIOConcurrencyHelpers
import Synchronization
import Testing
import ZenithData
import ZenithHTTP
import ZenithLoad
import ZenithTestSupport

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
        private let lines = NIOLockedValueBox<[String]>([])
        func append(_ line: String) { lines.withLockedValue { $0.append(line) } }
        var all: [String] { lines.withLockedValue { $0 } }
    }

    /// The fake reports expected accuracy 0.92: a 0.9 target is met by every answer, 0.93 by none.
    /// The last request's answer is held until the lines include judged answers and number at
    /// least two: the run goes on, and reports, for as long as that takes, however slowly the
    /// sender or the reporter get to run.
    @Test(arguments: [(0.9, "attainment 100.0%"), (0.93, "attainment 0.0%")])
    func aRunReportsWhileItGoesOnAndJudgesTheAnswers(accuracyTarget: Double, attainment: String) async throws {
        let classes = [SLOClass(name: "default", share: 1, latencyTargetMs: 60_000, accuracyTarget: accuracyTarget)]
        var scenario = makeScenario(.constant, rate: .absolute(200), duration: 1, classes: classes)
        scenario.encoding = .json
        let pool = PayloadPool(
            images: tinyImages(20), size: 20, model: "fashion-cnn", inputShape: [1, 2, 2], classes: classes,
            encoding: .json)
        let schedule = RequestSchedule(scenario: scenario, rate: 200, poolSize: pool.size)
        let server = HoldsTheLastAnswer(FakeZenith(expectedAccuracy: 0.92), requests: schedule.count)
        let lines = Lines()
        let reported = EventCount()
        try await withServer(server) { endpoint in
            defer { server.last.release() }
            let progress = RunProgress(interval: .milliseconds(200), maxJudged: 10) { line in
                lines.append(line)
                let all = lines.all
                if all.count >= 2, all.contains(where: { $0.contains("attainment") }) { reported.record() }
            }
            // The drain outlasts the held answer: every request is answered.
            let runner = ScenarioRunner(
                scenario: scenario, schedule: schedule, pool: pool,
                options: RunOptions(connections: 2, drainSeconds: EventCount.generousTimeout / .seconds(1)))
            let running = Task {
                try await withEventLoopGroup { group in
                    try await runner.run(
                        mode: "slo", endpoint: endpoint, operatorEndpoint: nil, durationSeconds: 1,
                        eventLoopGroup: group, progress: progress)
                }
            }
            // The run ends only once the held answer is released; ending sooner, it failed.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await reported.wait(for: 1, "reports of two lines or more, some with judged answers")
                    server.last.release()
                }
                group.addTask { _ = try await running.value }
                try await group.waitForAll()
            }
            let record = try await running.value
            #expect(record.samples.count == 200)
            #expect(record.samples.allSatisfy { $0.answered })
        }
        let written = lines.all
        #expect(written.allSatisfy { $0.hasPrefix("slo: ") && $0.contains(" of 200, answered ") }, "\(written)")
        // Every line with answers judged them against the targets.
        let judged = written.filter { $0.contains("attainment") }
        #expect(judged.allSatisfy { $0.hasSuffix("\(attainment) of the last 0.2 s's answers") }, "\(written)")
        // The sends counted only grow, up to the schedule's.
        let sent = written.map { line -> Int in
            let words = line.split(separator: " ")
            return words.firstIndex(of: "sent").flatMap { Int(words[$0 + 1]) } ?? -1
        }
        #expect(sent == sent.sorted() && sent.allSatisfy { (0...200).contains($0) }, "\(written)")
    }
}

/// Answers through `inner`, but holds the answer to the last of `requests` inference requests
/// until `last` is released, so that a run cannot end before the test has seen what it waits for.
private final class HoldsTheLastAnswer<Inner: HTTPHandler>: HTTPHandler {
    let inner: Inner
    let requests: Int
    let last = RequestGate()
    private let infers = Atomic(0)

    init(_ inner: Inner, requests: Int) {
        self.inner = inner
        self.requests = requests
    }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        if request.path.hasSuffix("/infer"), infers.add(1, ordering: .relaxed).newValue == requests {
            await last.hold()
        }
        return await inner.handle(request)
    }
}
