import Foundation
import Logging
import NIOPosix
import Prometheus
import Testing
import ZenithControl

@testable import ZenithServer

/// A one-core server runs short batches on the event loop that hands them out
/// (`ModelScheduler.batchesOnEventLoop`): requests submitted from an event loop are answered,
/// each by the plan the answer names, as the executor computes it alone, and the batches did run
/// on the loop.
@Suite struct BatchesOnEventLoopTests {
    @Test func requestsFromAnEventLoopAreServedByBatchesRunThere() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("zenith-loop-batches-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createSymbolicLink(
            atPath: "\(directory)/fashion-mlp", withDestinationPath: "\(repositoryRoot)/Models/fashion-mlp")
        let repository = ModelRepository(
            options: ModelRepositoryOptions(
                directory: directory, profiles: "\(repositoryRoot)/Profiles", warmupIterations: 0,
                batchesOnEventLoop: true,
                metricsFactory: PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()),
                logger: Logger(label: "zenith.server.tests", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await repository.loadAll()
        let loaded = try #require(repository.model(named: "fashion-mlp"))
        let scheduler = loaded.scheduler
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let images = 0..<48

        // Submitted from the loop's thread, as the transport submits them.
        let results = await withTaskGroup(of: (Int, Result<InferenceResult, InferenceFailure>).self) { tasks in
            for image in images {
                let request = InferenceRequest(
                    id: nil, batchSize: 1, input: TestImages.pixels(image..<(image + 1)),
                    outputs: [RequestedOutput(name: "logits")], slo: RequestedSLO(latencyTargetMs: 60_000))
                tasks.addTask {
                    let result = await withCheckedContinuation { continuation in
                        loop.execute {
                            Task.immediate {
                                continuation.resume(
                                    returning: await scheduler.infer(request, arrival: MonotonicClock().now()))
                            }
                        }
                    }
                    return (image, result)
                }
            }
            var all: [Int: Result<InferenceResult, InferenceFailure>] = [:]
            for await (image, result) in tasks { all[image] = result }
            return all
        }

        var plans: [String] = []
        var classes: [Int] = []
        for image in images {
            let result = try #require(try results[image]?.get())
            let plan = try #require(result.samples.first?.plan)
            plans.append(plan)
            classes += predictions(result.logits)
        }
        let expected = try await ReferenceModels.predictions(model: "fashion-mlp", plans: plans, images: images)
        #expect(classes == expected)
        #expect(scheduler.batchesRunOnEventLoops.load(ordering: .relaxed) > 0)
        await scheduler.drainAndStop()
        try await group.shutdownGracefully()
    }
}
