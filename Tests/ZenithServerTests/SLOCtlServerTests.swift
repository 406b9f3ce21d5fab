import Foundation
import Testing
import ZenithJSON
import ZenithTestSupport

@testable import ZenithServer

/// The built `sloctl` binary against a real server: `set-target` changes the plan chosen for
/// the next requests on the data port, `get-target` reads back what was set.
@Suite struct SLOCtlServerTests {
    static let token = "sloctl-e2e-token"

    /// The plan the data port served one real test image with.
    private func servedPlan(_ server: RunningServer, sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> String?
    {
        let response = try await send(
            port: server.port, .POST, "/v2/models/fashion-cnn/infer",
            body: jsonInferRequest(model: "fashion-cnn", 0..<1))
        #expect(response.status == 200, "\(response.text)", sourceLocation: sourceLocation)
        return try JSONValue(parsing: response.body)["parameters"]?["plan"]?.stringValue
    }

    @Test func setTargetChangesThePlanOfTheNextRequests() async throws {
        let sloctl = try #require(builtProduct("sloctl"), "build sloctl first (`swift build`)")
        let server = try await RunningServer.start(
            models: ["fashion-cnn"], warmupIterations: 0, operator: OperatorConfiguration(port: 0, token: Self.token))
        do {
            let endpoint = "http://127.0.0.1:\(try #require(server.operatorPort))"
            // sloctl's default 5 s is not what is tested, and a loaded machine can exceed it.
            let common = ["--endpoint", endpoint, "--token", Self.token, "--timeout", "120"]
            let best = try #require(server.application.repository.loadedModels.first?.scheduler.bestAccuracy)

            // Loose latency and the best accuracy: only the most accurate plan qualifies.
            let loose = try await run(
                sloctl, ["set-target", "fashion-cnn", "--latency-ms", "60000", "--accuracy", "\(best)"] + common)
            #expect(loose.status == 0, "\(loose.stderr)")
            #expect(try await servedPlan(server) == mostAccuratePlan(server, model: "fashion-cnn"))

            // A latency no plan meets, served best-effort: the fastest plan meeting 0.92 — never
            // dense, the slowest, whatever this machine's speed.
            let tight = try await run(
                sloctl,
                ["set-target", "fashion-cnn", "--latency-ms", "0.001", "--accuracy", "0.92", "--policy", "best_effort"]
                    + common)
            #expect(tight.status == 0, "\(tight.stderr)")
            let plan = try await servedPlan(server)
            #expect(plan != nil && plan != "dense", "\(plan ?? "no plan")")

            let read = try await run(sloctl, ["get-target", "fashion-cnn", "--json"] + common)
            #expect(read.status == 0, "\(read.stderr)")
            let state = try JSONValue(parsing: read.stdout)
            #expect(state["default"] == ["latency_target_ms": 0.001, "accuracy_target": 0.92])
            #expect(state["infeasible_policy"] == "best_effort")

            // Without the token the call is refused, and nothing changes.
            let anonymous = try await run(
                sloctl, ["set-target", "fashion-cnn", "--latency-ms", "60000", "--endpoint", endpoint])
            #expect(anonymous.status == 1)
            #expect(anonymous.stderr.contains("HTTP 401"), "\(anonymous.stderr)")
            #expect(try await servedPlan(server) != "dense")
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }
}
