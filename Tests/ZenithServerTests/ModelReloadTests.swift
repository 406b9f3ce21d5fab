import Foundation
import Logging
import Prometheus
import Testing

@testable import ZenithServer

/// A model unloaded or replaced is freed: nothing keeps it (its weights, buffers, threads) alive.
@Suite struct ModelReloadTests {
    static let logger = Logger(label: "zenith.server.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    static func repository() throws -> ModelRepository {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("zenith-reload-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: "\(directory)/fashion-mlp", withDestinationPath: "\(repositoryRoot)/Models/fashion-mlp")
        return ModelRepository(
            options: ModelRepositoryOptions(
                directory: directory, profiles: "\(repositoryRoot)/Profiles", warmupIterations: 0,
                metricsFactory: PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()), logger: logger))
    }

    @Test func anUnloadedModelIsFreed() async throws {
        let repository = try Self.repository()
        try await repository.loadAll()
        weak let first = repository.model(named: "fashion-mlp")
        #expect(first != nil)
        _ = try await repository.unload("fashion-mlp").get()
        #expect(first == nil, "something still holds the unloaded model")
    }

    @Test func aModelReplacedByAReloadIsFreed() async throws {
        let repository = try Self.repository()
        try await repository.loadAll()
        weak let first = repository.model(named: "fashion-mlp")
        _ = try await repository.load("fashion-mlp").get()
        #expect(repository.model(named: "fashion-mlp") != nil)
        #expect(first == nil, "something still holds the replaced model")
        _ = try await repository.unload("fashion-mlp").get()
    }
}
