import Foundation
import Logging
import Testing
import ZenithHTTP

@testable import ZenithServer

/// The health listener's handler, without a socket: its three paths and nothing else.
@Suite struct HealthServerTests {
    /// Over a repository with no models (so never ready), with or without metrics.
    func handler(metrics: (@Sendable () -> [UInt8])? = nil) throws -> HealthServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zenith-health-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let logger = Logger(label: "zenith.health.tests", factory: { _ in SwiftLogNoOpLogHandler() })
        let repository = ModelRepository(options: ModelRepositoryOptions(directory: directory, logger: logger))
        return HealthServer(repository: repository, metricsExposition: metrics)
    }

    func answer(_ handler: HealthServer, _ method: String, _ path: String) async -> (Int, String) {
        let response = await handler.handle(HTTPRequest(method: method, path: path))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    @Test func answersLivenessReadinessAndMetrics() async throws {
        let health = try handler(metrics: { Array("zenith_up 1\n".utf8) })
        #expect(await answer(health, "GET", "/v2/health/live") == (200, #"{"live":true}"#))
        #expect(await answer(health, "HEAD", "/v2/health/live").0 == 200)
        #expect(await answer(health, "GET", "/v2/health/ready") == (503, #"{"ready":false}"#), "no model loaded")
        #expect(await answer(health, "GET", "/metrics") == (200, "zenith_up 1\n"))
        #expect(await answer(try handler(), "GET", "/metrics").0 == 404, "metrics not enabled")
    }

    @Test func refusesEverythingElseSayingWhatItServes() async throws {
        let health = try handler()
        #expect(await answer(health, "POST", "/v2/health/live").0 == 405)
        for (method, path) in [("GET", "/v2"), ("GET", "/v2/models/m"), ("POST", "/v2/models/m/infer"),
                               ("GET", "/v2/models/m/infer"), ("POST", "/v2/repository/index"), ("GET", "/nowhere")] {
            let (status, body) = await answer(health, method, path)
            #expect(status == 404, "\(method) \(path)")
            #expect(body.contains("the health port serves only /v2/health/live, /v2/health/ready and /metrics"))
        }
    }
}
