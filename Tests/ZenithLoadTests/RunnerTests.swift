import Testing
import ZenithData
import ZenithHTTP
import ZenithJSON
import ZenithLoad
import ZenithTestSupport

/// The sender, the operator actions and the sample bookkeeping against a fake server.
@Suite struct RunnerTests {
    static let images: LabelledImages = {
        do { return try FashionMNIST.load(.test) } catch { fatalError("the Fashion-MNIST test set is needed: \(error)") }
    }()

    @Test func openLoopRunRecordsEveryRequestAndFiresTheActions() async throws {
        let fake = FakeZenith(expectedAccuracy: 0.92)
        let classes = [SLOClass(name: "default", share: 1, latencyTargetMs: 60_000, accuracyTarget: 0.93, delivery: .modelDefault)]
        var scenario = makeScenario(
            .constant, rate: .absolute(200), duration: 1, classes: classes,
            actions: [OperatorAction(atSeconds: 0.5, accuracyTarget: 0.9)])
        scenario.encoding = .json
        let pool = PayloadPool(images: Self.images, size: 20, model: "fashion-cnn", inputShape: [1, 2, 2], classes: classes, encoding: .json)
        let schedule = RequestSchedule(scenario: scenario, rate: 200, poolSize: pool.size)
        #expect(schedule.count == 200)
        try await withServer(fake) { endpoint in
            let runner = ScenarioRunner(
                scenario: scenario, schedule: schedule, pool: pool, options: RunOptions(connections: 3))
            let record = try await withEventLoopGroup { group in
                try await runner.run(
                    mode: "slo", endpoint: endpoint, operatorEndpoint: endpoint, durationSeconds: 1, eventLoopGroup: group)
            }
            #expect(record.samples.count == 200)
            #expect(record.samples.allSatisfy { $0.answered })
            // The fake always answers class 3: served accuracy is the share of label-3 images.
            let threes = record.samples.count { $0.labels == [3] }
            #expect(record.samples.count { $0.correctImages == 1 } == threes)
            // Set-up (the model default) and the timed action, both through the operator API.
            #expect(fake.operatorCalls.map(\.path) == ["/v2/slo/models/fashion-cnn", "/v2/slo/models/fashion-cnn"])
            let bodies = try fake.operatorCalls.map { try JSONValue(parsing: $0.body) }
            #expect(bodies.first == ["latency_target_ms": 60_000.0, "accuracy_target": 0.93])
            #expect(bodies.last == ["accuracy_target": 0.9])
            #expect(record.actions.count == 2)
            #expect(record.actions.allSatisfy { $0.succeeded })
            // Expected accuracy 0.92 misses the 0.93 target before the action and meets 0.9 after it.
            for sample in record.samples {
                #expect(sample.attained == (Double(sample.scheduledNanos) >= 0.5e9))
            }
            // Every request actually left (the sender stamps a send time after its schedule).
            #expect(record.samples.allSatisfy { $0.sentNanos >= $0.scheduledNanos })
        }
    }

    @Test func actionsWithoutAnOperatorAPIFailClearly() async throws {
        let fake = FakeZenith()
        let classes = [SLOClass(name: "default", share: 1, latencyTargetMs: 60_000, accuracyTarget: 0.9)]
        var scenario = makeScenario(
            .constant, rate: .absolute(20), duration: 0.5, classes: classes,
            actions: [OperatorAction(atSeconds: 0.1, latencyTargetMs: 5)])
        scenario.encoding = .json
        let pool = PayloadPool(images: Self.images, size: 5, model: "fashion-cnn", inputShape: [1, 2, 2], classes: classes, encoding: .json)
        try await withServer(fake) { endpoint in
            let runner = ScenarioRunner(
                scenario: scenario, schedule: RequestSchedule(scenario: scenario, rate: 20, poolSize: 5), pool: pool,
                options: RunOptions(connections: 1))
            let record = try await withEventLoopGroup { group in
                try await runner.run(
                    mode: "slo", endpoint: endpoint, operatorEndpoint: nil, durationSeconds: 0.5, eventLoopGroup: group)
            }
            #expect(record.actions.count == 1)
            #expect(record.actions[0].succeeded == false)
            #expect(record.actions[0].message.contains("no operator API"))
            #expect(record.samples.allSatisfy { $0.answered })
            #expect(fake.operatorCalls.isEmpty)
        }
    }

    @Test func selfCheckCountsTheHealthAnswers() async throws {
        try await withServer(FakeZenith()) { endpoint in
            let result = try await withEventLoopGroup { group in
                try await SelfCheck(rate: 500, durationSeconds: 0.4, options: RunOptions(connections: 2))
                    .run(endpoint: endpoint, eventLoopGroup: group)
            }
            #expect(result.sent > 0)
            #expect(result.answered == result.sent)
        }
    }

    @Test func capacityProbeCountsClosedLoopAnswers() async throws {
        let classes = [SLOClass(name: "c", share: 1, latencyTargetMs: 60_000, accuracyTarget: 0.5)]
        let pool = PayloadPool(images: Self.images, size: 5, model: "fashion-cnn", inputShape: [1, 2, 2], classes: classes, encoding: .json)
        try await withServer(FakeZenith()) { endpoint in
            // A counting window of seconds: under a full parallel test run on two cores, a 0.5 s
            // one once saw no answer at all.
            let result = try await withEventLoopGroup { group in
                let transport = try await ClientConnectionPool.connect(
                    to: endpoint, count: 2, version: .http2, eventLoopGroup: group)
                let result = await CapacityProbe(concurrency: 4, durationSeconds: 5, warmupSeconds: 0.1)
                    .measure(transport: transport, requests: pool.requests[0])
                await transport.close()
                return result
            }
            #expect(result.answered > 0)
            #expect(result.failed == 0)
            #expect(result.requestsPerSecond == Double(result.answered) / 5)
        }
    }
}
