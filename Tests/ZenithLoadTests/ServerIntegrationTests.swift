import Foundation
import Testing
import ZenithHTTP
import ZenithLoad
import ZenithServer

/// A small real run: a few hundred open-loop requests of four images against an in-process `zenith serve`
/// (ZenithApplication with the committed fashion-mlp model and profile), through the whole
/// harness: payload pool, sender, client, response decoding, report files; over REST with binary
/// tensors and over gRPC on the same port.
@Suite struct ServerIntegrationTests {
    @Test(arguments: [PayloadEncoding.binary, .grpc])
    func aShortRunAgainstARealServerIsAnsweredAndScored(encoding: PayloadEncoding) async throws {
        // Only fashion-mlp: a repository of one symbolic link keeps start-up short.
        let repository = FileManager.default.temporaryDirectory.appendingPathComponent("zenith-load-repo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: repository, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try FileManager.default.createSymbolicLink(
            atPath: "\(repository)/fashion-mlp", withDestinationPath: "\(repositoryRoot)/Models/fashion-mlp")
        // Its own event loop: decoding hundreds of requests' tensors would otherwise hold up the
        // other tests' connections on the shared loops.
        let application = try await ZenithApplication(
            repository: ModelRepositoryOptions(
                directory: repository, profiles: "\(repositoryRoot)/Profiles", workers: 1, warmupIterations: 0,
                logger: quietLogger),
            http: HTTPServerConfiguration(host: "127.0.0.1", port: 0, eventLoopThreads: 1), blasThreads: 1, signals: [],
            metricsExposition: nil, logger: quietLogger)
        let running = Task { try await application.run() }
        defer { running.cancel() }
        let port = try await application.listeningPort()

        // Targets no plan can miss on a busy machine: the test checks bookkeeping, not speed.
        let scenario = Scenario(
            name: "integration", model: "fashion-mlp", durationSeconds: 1.5, seed: 3, arrival: .constant,
            rate: .absolute(200),
            classes: [
                SLOClass(name: "a", share: 1, latencyTargetMs: 60_000, accuracyTarget: 0.88),
                SLOClass(name: "b", share: 1, latencyTargetMs: 60_000, accuracyTarget: 0.5),
            ],
            encoding: encoding, imagesPerRequest: 4, inputShape: [784])
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("zenith-load-out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let session = LoadSession(
            scenario: scenario, modes: [.external("external")],
            target: .external(endpoint: Endpoint(host: "127.0.0.1", port: port), operatorEndpoint: nil),
            options: RunOptions(connections: 2, drainSeconds: 60), poolSize: 100, outputDirectory: out)
        let report = try await session.run()
        await application.triggerGracefulShutdown()
        try await running.value

        let entry = try #require(report.entries.first)
        #expect(entry.summary.sent == 300)
        #expect(entry.summary.answered == 300, "rejects: \(entry.summary.rejects)")
        // Four images a request: the server answers four rows of logits, each scored.
        #expect(entry.summary.answeredImages == 1200)
        #expect(entry.record.samples.allSatisfy { $0.outcome.predictedClasses.count == 4 })
        #expect(entry.summary.attainment == 1)
        // The MLP's test accuracy is 0.90 on all 10 000 images; on the first 100 it is well above 0.8
        // (a mix-up of rows and images would bring it near 0.1).
        let accuracy = try #require(entry.summary.servedAccuracy)
        #expect(accuracy > 0.8)
        #expect(!entry.summary.planCounts.isEmpty)
        #expect(entry.record.samples.allSatisfy { ($0.outcome.expectedAccuracy ?? 0) >= 0.88 })

        let plots = try ReportWriter(directory: out, python: "/nonexistent/python").write(report)
        guard case .failure = plots else { Issue.record("plots drawn without a Python"); return }
        for file in ["report.json", "samples.csv", "report.md"] {
            #expect(FileManager.default.fileExists(atPath: "\(out)/\(file)"))
        }
        let csv = try String(contentsOfFile: "\(out)/samples.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 301)
    }
}
