import Foundation
import Logging
import NIOHTTP1
import Testing
import ZenithHTTP
import ZenithJSON

@testable import ZenithServer

/// The operator API over its own listener, against real models: auth, set then get, targets
/// steering the plans of the next infer requests on the data port, SLO classes, status,
/// persistence across a restart (also into dense-only mode) and bad state files.
///
/// Serialized: the tests share one server whose targets they change.
@Suite(.serialized) struct OperatorIntegrationTests {
    static let token = "operator-test-token"
    static let stateDirectory = FileManager.default.temporaryDirectory
        .appendingPathComponent("zenith-operator-\(UUID().uuidString)").path

    /// fashion-cnn with the operator listener, a token and a state directory.
    static let shared = Task {
        try await RunningServer.start(
            models: ["fashion-cnn"], warmupIterations: 0,
            operator: OperatorConfiguration(port: 0, token: token, stateDirectory: stateDirectory))
    }

    /// An operator request with the token; `body` as JSON text.
    private func call(
        _ server: RunningServer, _ method: HTTPMethod, _ path: String, body: String? = nil,
        authorization: String? = "Bearer \(OperatorIntegrationTests.token)"
    ) async throws -> TestResponse {
        let port = try #require(server.operatorPort)
        var headers: [(String, String)] = []
        if let authorization { headers.append(("authorization", authorization)) }
        if body != nil { headers.append(("content-type", "application/json")) }
        return try await send(port: port, method, path, headers: headers, body: Array((body ?? "").utf8))
    }

    /// The JSON of a 200 answer; records an issue at the caller otherwise.
    private func ok(
        _ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> JSONValue {
        #expect(response.status == 200, "\(response.text)", sourceLocation: sourceLocation)
        return try JSONValue(parsing: response.body)
    }

    /// `config.json`'s targets back, no classes.
    private func reset(_ server: RunningServer) async throws {
        _ = try ok(
            try await call(
                server, .POST, "/v2/slo/models/fashion-cnn",
                body: #"{"latency_target_ms": 10, "accuracy_target": 0.916, "infeasible_policy": "reject"}"#))
        let classes = try ok(try await call(server, .GET, "/v2/slo/models/fashion-cnn"))["classes"]?.objectValue
        for name in classes?.keys ?? [] {
            _ = try ok(try await call(server, .DELETE, "/v2/slo/models/fashion-cnn/classes/\(name)"))
        }
    }

    /// The plan the data port served one image with.
    private func servedPlan(
        _ server: RunningServer, parameters: JSONObject = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String? {
        let response = try await send(
            port: server.port, .POST, "/v2/models/fashion-cnn/infer",
            body: jsonInferRequest(model: "fashion-cnn", 0..<1, parameters: parameters))
        #expect(response.status == 200, "\(response.text)", sourceLocation: sourceLocation)
        return try JSONValue(parsing: response.body)["parameters"]?["plan"]?.stringValue
    }

    @Test func tokenIsRequiredOnTheOperatorPortOnly() async throws {
        let server = try await Self.shared.value
        for authorization in [nil, "Bearer wrong", "Basic \(Self.token)", "Bearer \(Self.token)x"] {
            let refused = try await call(server, .GET, "/v2/slo", authorization: authorization)
            #expect(refused.status == 401, "\(authorization ?? "none")")
            #expect(refused.headers["www-authenticate"] == "Bearer")
            #expect(try JSONValue(parsing: refused.body)["error"]?.stringValue?.isEmpty == false)
        }
        let listed = try ok(try await call(server, .GET, "/v2/slo"))
        #expect(listed["models"]?.arrayValue?.compactMap { $0["model"]?.stringValue } == ["fashion-cnn"])

        // Both ports list the extension; only the operator port serves it.
        for port in [server.port, try #require(server.operatorPort)] {
            let metadata = try await send(
                port: port, .GET, "/v2", headers: [("authorization", "Bearer \(Self.token)")])
            #expect(try JSONValue(parsing: metadata.body)["extensions"]?.arrayValue?.contains("slo") == true)
        }
        #expect(try await send(port: server.port, .GET, "/v2/slo").status == 404)
        #expect(try await send(port: server.port, .GET, "/v2/slo/models/fashion-cnn").status == 404)
    }

    @Test func setThenGet() async throws {
        let server = try await Self.shared.value
        try await reset(server)
        let before = try ok(try await call(server, .GET, "/v2/slo/models/fashion-cnn"))
        #expect(before["model"] == "fashion-cnn")
        #expect(before["mode"] == "controller")
        #expect(before["default"] == ["latency_target_ms": 10.0, "accuracy_target": 0.916])
        #expect(before["infeasible_policy"] == "reject")
        let best = try #require(before["best_accuracy"]?.doubleValue)
        #expect(best > 0.9 && best <= 1)

        let set = try ok(
            try await call(server, .POST, "/v2/slo/models/fashion-cnn", body: #"{"latency_target_ms": 12.5}"#))
        #expect(set["default"] == ["latency_target_ms": 12.5, "accuracy_target": 0.916])
        let after = try ok(try await call(server, .GET, "/v2/slo/models/fashion-cnn"))
        #expect(after["default"] == set["default"])
        #expect(after["best_accuracy"]?.doubleValue == best)
        let listed = try ok(try await call(server, .GET, "/v2/slo"))
        #expect(listed["models"]?.arrayValue?.first?["default"] == set["default"])

        // Saved before the answer.
        let file = try JSONValue(
            parsing: try Data(contentsOf: URL(fileURLWithPath: "\(Self.stateDirectory)/slo-targets.json")))
        #expect(file["models"]?["fashion-cnn"]?["default"]?["latency_target_ms"] == 12.5)

        // The data port's config shows the policy in force.
        let config = try JSONValue(parsing: try await send(port: server.port, .GET, "/v2/models/fashion-cnn/config").body)
        #expect(config["zenith"]?["slo"]?["latency_target_ms"] == 12.5)
    }

    @Test func refusalsLeaveThePolicyUnchanged() async throws {
        let server = try await Self.shared.value
        try await reset(server)
        let before = try ok(try await call(server, .GET, "/v2/slo/models/fashion-cnn"))
        let bodies = [
            "{", #"{"latency_target_ms": 5, "oops": 1}"#, #"{"latency_target_ms": "5"}"#, #"{"class": "gold"}"#,
            #"{"latency_target_ms": 0}"#, #"{"latency_target_ms": -3}"#, #"{"accuracy_target": 0}"#,
            #"{"accuracy_target": 1.2}"#, #"{"accuracy_target": 0.999}"#, #"{"infeasible_policy": "later"}"#,
            #"{"class": "", "latency_target_ms": 5}"#,
        ]
        for body in bodies {
            let refused = try await call(server, .POST, "/v2/slo/models/fashion-cnn", body: body)
            #expect(refused.status == 400, "\(body): \(refused.text)")
            #expect(try JSONValue(parsing: refused.body)["error"]?.stringValue?.isEmpty == false, "\(body)")
        }
        let above = try await call(server, .POST, "/v2/slo/models/fashion-cnn", body: #"{"accuracy_target": 0.999}"#)
        #expect(above.text.contains("best_accuracy"))
        #expect(try ok(try await call(server, .GET, "/v2/slo/models/fashion-cnn")) == before)

        let unknown = try await call(server, .POST, "/v2/slo/models/nope", body: #"{"latency_target_ms": 5}"#)
        #expect(unknown.status == 404)
        #expect(try await call(server, .GET, "/v2/slo/models/nope").status == 404)
        #expect(try await call(server, .DELETE, "/v2/slo/models/fashion-cnn/classes/none").status == 404)
        #expect(try await call(server, .PUT, "/v2/slo/models/fashion-cnn").status == 405)
    }

    @Test func targetsChooseThePlanOfTheNextRequests() async throws {
        let server = try await Self.shared.value
        try await reset(server)
        // A latency no plan can meet, served best-effort: the fastest plan meeting 0.92, never dense
        // (dense is the slowest plan), whatever the machine's speed.
        _ = try ok(
            try await call(
                server, .POST, "/v2/slo/models/fashion-cnn",
                body: #"{"latency_target_ms": 0.001, "accuracy_target": 0.92, "infeasible_policy": "best_effort"}"#))
        let fast = try await servedPlan(server)
        #expect(fast != nil && fast != "dense", "\(fast ?? "no plan")")

        // A loose latency and the best accuracy: only the most accurate plan qualifies.
        let best = try #require(
            try ok(try await call(server, .GET, "/v2/slo/models/fashion-cnn"))["best_accuracy"]?.doubleValue)
        _ = try ok(
            try await call(
                server, .POST, "/v2/slo/models/fashion-cnn",
                body: #"{"latency_target_ms": 60000, "accuracy_target": \#(best), "infeasible_policy": "reject"}"#))
        #expect(try await servedPlan(server) == mostAccuratePlan(server, model: "fashion-cnn"))
    }

    @Test func classTargetsServeRequestsNamingTheClass() async throws {
        let server = try await Self.shared.value
        try await reset(server)
        let best = try #require(
            try ok(try await call(server, .GET, "/v2/slo/models/fashion-cnn"))["best_accuracy"]?.doubleValue)
        _ = try ok(
            try await call(
                server, .POST, "/v2/slo/models/fashion-cnn",
                body: #"{"latency_target_ms": 60000, "accuracy_target": \#(best), "infeasible_policy": "best_effort"}"#))
        let gold = try ok(
            try await call(
                server, .POST, "/v2/slo/models/fashion-cnn",
                body: #"{"class": "gold", "latency_target_ms": 0.001, "accuracy_target": 0.92}"#))
        #expect(gold["classes"] == ["gold": ["latency_target_ms": 0.001, "accuracy_target": 0.92]])
        // The model default did not move.
        #expect(gold["default"]?["latency_target_ms"] == 60000.0)

        let golden = try await servedPlan(server, parameters: ["slo_class": "gold"])
        #expect(golden != nil && golden != "dense", "\(golden ?? "no plan")")
        #expect(try await servedPlan(server) == mostAccuratePlan(server, model: "fashion-cnn"))

        // A new class given one target takes the other from the model default.
        let silver = try ok(
            try await call(
                server, .POST, "/v2/slo/models/fashion-cnn", body: #"{"class": "silver", "latency_target_ms": 50}"#))
        #expect(silver["classes"]?["silver"] == ["latency_target_ms": 50.0, "accuracy_target": .double(best)])

        let removed = try ok(try await call(server, .DELETE, "/v2/slo/models/fashion-cnn/classes/gold"))
        #expect(removed["classes"]?["gold"] == nil)
        #expect(removed["classes"]?["silver"] != nil)
        let unknownClass = try await send(
            port: server.port, .POST, "/v2/models/fashion-cnn/infer",
            body: jsonInferRequest(model: "fashion-cnn", 0..<1, parameters: ["slo_class": "gold"]))
        #expect(unknownClass.status == 400, "\(unknownClass.text)")
        #expect(try await call(server, .DELETE, "/v2/slo/models/fashion-cnn/classes/gold").status == 404)
    }

    @Test func statusCountsTheRecentRequests() async throws {
        let server = try await Self.shared.value
        try await reset(server)
        for image in 0..<3 {
            let response = try await send(
                port: server.port, .POST, "/v2/models/fashion-cnn/infer", headers: [relaxed],
                body: jsonInferRequest(model: "fashion-cnn", image..<(image + 1)))
            #expect(response.status == 200)
        }
        for _ in 0..<2 {
            let invalid = try await send(
                port: server.port, .POST, "/v2/models/fashion-cnn/infer", headers: [("zenith-accuracy-target", "1.5")],
                body: jsonInferRequest(model: "fashion-cnn", 0..<1))
            #expect(invalid.status == 400)
        }

        let status = try ok(try await call(server, .GET, "/v2/slo/status"))
        #expect(status["window_seconds"] == 10)
        let models = try #require(status["models"]?.arrayValue)
        #expect(models.count == 1)
        let model = try #require(models.first)
        #expect(model["model"] == "fashion-cnn")
        #expect(model["mode"] == "controller")
        #expect((model["requests_per_second"]?.doubleValue ?? 0) > 0)
        let p50 = try #require(model["p50_ms"]?.doubleValue)
        let p99 = try #require(model["p99_ms"]?.doubleValue)
        #expect(p50 > 0 && p99 >= p50)
        let attainment = try #require(model["attainment"]?.doubleValue)
        #expect((0...1).contains(attainment))
        let mix = try #require(model["plan_mix"]?.objectValue)
        #expect(!mix.entries.isEmpty)
        #expect(abs(mix.entries.compactMap { $0.value.doubleValue }.reduce(0, +) - 1) < 1e-9)
        #expect(model["queue_depth"] == 0)
        #expect(model["inflight"] == 0)
        // The controller has seen the requests above, and its workers have some of the cores.
        #expect((model["arrival_samples_per_second"]?.doubleValue ?? -1) >= 0)
        let workerCores = try #require(model["worker_cores"]?.doubleValue)
        #expect(workerCores > 0 && workerCores <= Double(AvailableCores.count))
        // Answers were delivered and batches ran: the margins have been learnt from them.
        #expect((model["overhead_ms"]?.doubleValue ?? 0) > 0)
        #expect((model["batch_overrun"]?.doubleValue ?? 0) >= 1)
        let rejects = try #require(model["rejects"])
        #expect(rejects["slo_infeasible"]?.intValue != nil)
        #expect(rejects["queue_full"]?.intValue != nil)
        #expect((rejects["invalid_target"]?.intValue ?? 0) >= 2)

        // The same window's attainment in the model's targets.
        let slo = try ok(try await call(server, .GET, "/v2/slo/models/fashion-cnn"))
        #expect(slo["attainment"]?.doubleValue != nil)
    }

    // MARK: - Restarts

    private static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("zenith-operator-\(UUID().uuidString)").path
    }

    @Test func targetsSurviveARestartAlsoIntoDenseOnlyMode() async throws {
        let directory = Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = "\(directory)/slo-targets.json"
        // A model this server does not load keeps its entry.
        try Data(#"{"version": 1, "models": {"ghost": {"infeasible_policy": "best_effort"}}}"#.utf8)
            .write(to: URL(fileURLWithPath: file))

        let first = try await RunningServer.start(
            models: ["fashion-mlp"], warmupIterations: 0,
            operator: OperatorConfiguration(port: 0, stateDirectory: directory))
        do {
            _ = try ok(
                try await call(
                    first, .POST, "/v2/slo/models/fashion-mlp", body: #"{"latency_target_ms": 7, "accuracy_target": 0.89}"#,
                    authorization: nil))
            _ = try ok(
                try await call(
                    first, .POST, "/v2/slo/models/fashion-mlp",
                    body: #"{"class": "gold", "latency_target_ms": 3, "infeasible_policy": "best_effort"}"#,
                    authorization: nil))
        } catch {
            try await first.stop()
            throw error
        }
        try await first.stop()

        let saved = try JSONValue(parsing: try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(saved["models"]?["ghost"] == ["infeasible_policy": "best_effort"])
        #expect(saved["models"]?["fashion-mlp"]?["default"] == ["latency_target_ms": 7.0, "accuracy_target": 0.89])

        // Restarted dense-only and without the listener: the saved targets still apply.
        let second = try await RunningServer.start(
            models: ["fashion-mlp"], mode: .denseOnly, warmupIterations: 0,
            operator: OperatorConfiguration(port: 0, stateDirectory: directory, listens: false))
        do {
            #expect(second.operatorPort == nil)
            await #expect(throws: ZenithApplication.NoOperatorListenerError.self) {
                try await second.application.operatorListeningPort()
            }
            let config = try JSONValue(
                parsing: try await send(port: second.port, .GET, "/v2/models/fashion-mlp/config").body)
            #expect(config["zenith"]?["scheduling"] == "dense_only")
            #expect(config["zenith"]?["slo"]?["latency_target_ms"] == 7.0)
            #expect(config["zenith"]?["slo"]?["policy"] == "best_effort")
            #expect(config["zenith"]?["slo"]?["classes"]?["gold"] == ["latency_target_ms": 3.0, "accuracy_target": 0.89])

            // The handler itself, in dense-only mode (the scheduler's reporting policy).
            let logger = Logger(label: "zenith.operator.tests", factory: { _ in SwiftLogNoOpLogHandler() })
            let handler = OperatorServer(repository: second.application.repository, token: nil, logger: logger)
            let set = await handler.handle(
                HTTPRequest(
                    method: "POST", path: "/v2/slo/models/fashion-mlp",
                    body: Array(#"{"class": "gold", "accuracy_target": 0.9}"#.utf8)))
            let body = try ok(TestResponse(status: set.status, headers: [:], body: set.body))
            #expect(body["mode"] == "dense_only")
            #expect(body["classes"]?["gold"] == ["latency_target_ms": 3.0, "accuracy_target": 0.9])
            let served = try await send(
                port: second.port, .POST, "/v2/models/fashion-mlp/infer",
                body: jsonInferRequest(model: "fashion-mlp", 0..<1, parameters: ["slo_class": "gold"]))
            #expect(served.status == 200, "\(served.text)")
            #expect(try JSONValue(parsing: served.body)["parameters"]?["plan"] == "dense")
        } catch {
            try await second.stop()
            throw error
        }
        try await second.stop()
        let resaved = try JSONValue(parsing: try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(resaved["models"]?["fashion-mlp"]?["classes"]?["gold"]?["accuracy_target"] == 0.9)
        #expect(resaved["models"]?["ghost"] != nil)
    }

    /// Why a fashion-mlp server with the state directory `directory` did not start; records an
    /// issue and returns "" when it did.
    private func startFailure(stateDirectory directory: String, file: String) async -> String {
        do {
            let server = try await RunningServer.start(
                models: ["fashion-mlp"], warmupIterations: 0,
                operator: OperatorConfiguration(port: 0, stateDirectory: directory))
            try await server.stop()
            Issue.record("the server started with \(file)")
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func invalidStateFileStopsTheStart() async throws {
        let directory = Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = "\(directory)/slo-targets.json"
        try Data(#"{"version": 1, "models": {"fashion-mlp": {"default": {"latency_target_ms": "soon"}}}}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let malformed = await startFailure(stateDirectory: directory, file: file)
        #expect(malformed.contains(file), "\(malformed)")
        #expect(malformed.contains("models.fashion-mlp.default.latency_target_ms"), "\(malformed)")

        // Well-formed, but a target this model cannot meet: the model does not load, the file is named.
        try Data(#"{"version": 1, "models": {"fashion-mlp": {"default": {"accuracy_target": 0.99}}}}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let unmeetable = await startFailure(stateDirectory: directory, file: file)
        #expect(unmeetable.contains(file), "\(unmeetable)")
        #expect(unmeetable.contains("0.99"), "\(unmeetable)")
    }
}
