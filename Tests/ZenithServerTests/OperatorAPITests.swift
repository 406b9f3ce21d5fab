import Foundation
import Logging
import Testing
import ZenithControl
import ZenithCore
import ZenithExecutor
import ZenithHTTP
import ZenithJSON

@testable import ZenithServer

/// The operator API's parts without sockets: routes, the update body's checks, the token, the
/// recent window, the state file, and the handler called directly.
@Suite struct OperatorAPITests {
    // MARK: - Routes

    @Test func routesMatchMethodAndPath() {
        #expect(OperatorRoute.match(method: "GET", path: "/v2") == .success(.serverMetadata))
        #expect(OperatorRoute.match(method: "GET", path: "/v2/slo") == .success(.models))
        #expect(OperatorRoute.match(method: "GET", path: "/v2/slo/status") == .success(.status))
        #expect(OperatorRoute.match(method: "GET", path: "/v2/slo/models/fashion-cnn") == .success(.model("fashion-cnn")))
        #expect(OperatorRoute.match(method: "POST", path: "/v2/slo/models/fashion-cnn") == .success(.update("fashion-cnn")))
        #expect(
            OperatorRoute.match(method: "DELETE", path: "/v2/slo/models/m/classes/gold%20plus")
                == .success(.deleteClass(model: "m", sloClass: "gold plus")))
        // A model called "status" is a model, not the status route.
        #expect(OperatorRoute.match(method: "GET", path: "/v2/slo/models/status") == .success(.model("status")))
    }

    @Test func routesRefuseOtherPathsAndMethods() {
        #expect(OperatorRoute.match(method: "GET", path: "/v2/models/fashion-cnn") == .failure(.notFound))
        #expect(OperatorRoute.match(method: "GET", path: "/v2/slo/") == .failure(.notFound))
        #expect(OperatorRoute.match(method: "GET", path: "/v2/slo/models") == .failure(.notFound))
        #expect(OperatorRoute.match(method: "GET", path: "/v2/slo/models/m/classes") == .failure(.notFound))
        #expect(OperatorRoute.match(method: "POST", path: "/v2/slo/models/m/classes/gold/x") == .failure(.notFound))
        #expect(
            OperatorRoute.match(method: "PUT", path: "/v2/slo/models/m")
                == .failure(.methodNotAllowed(allowed: ["GET", "POST"])))
        #expect(
            OperatorRoute.match(method: "GET", path: "/v2/slo/models/m/classes/gold")
                == .failure(.methodNotAllowed(allowed: ["DELETE"])))
        #expect(OperatorRoute.match(method: "POST", path: "/v2/slo") == .failure(.methodNotAllowed(allowed: ["GET"])))
        // The data port's routes know nothing of the operator API.
        #expect(Route.match(method: "GET", path: "/v2/slo") == .failure(.notFound))
        #expect(Route.match(method: "POST", path: "/v2/slo/models/fashion-cnn") == .failure(.notFound))
    }

    // MARK: - The update body

    @Test func updateReadsEveryField() throws {
        let update = try SLOUpdate(
            body: Array(
                #"{"latency_target_ms": 8, "accuracy_target": 0.9, "class": "gold", "infeasible_policy": "best_effort"}"#
                    .utf8))
        #expect(
            update
                == SLOUpdate(latencyTargetMs: 8, accuracyTarget: 0.9, sloClass: "gold", infeasiblePolicy: .bestEffort))
        #expect(try SLOUpdate(body: Array(#"{"infeasible_policy": "reject"}"#.utf8)).infeasiblePolicy == .reject)
        #expect(try SLOUpdate(body: Array(#"{"accuracy_target": 1}"#.utf8)).accuracyTarget == 1)
    }

    /// Every 400 case of the spec, each with the words that say what is wrong.
    @Test(arguments: [
        (#"{"latency_target_ms": 8"#, "not valid JSON"),
        ("", "not valid JSON"),
        (#"[1, 2]"#, "must be a JSON object"),
        (#"{"latency_target_ms": 8, "latency": 3}"#, "unknown field 'latency'"),
        (#"{"latency_target_ms": "8"}"#, "latency_target_ms must be a number"),
        (#"{"accuracy_target": true}"#, "accuracy_target must be a number"),
        (#"{"accuracy_target": null}"#, "accuracy_target must be a number"),
        (#"{"class": 3, "latency_target_ms": 8}"#, "class must be a string"),
        (#"{"infeasible_policy": 1}"#, "infeasible_policy must be a string"),
        (#"{}"#, "nothing to change"),
        (#"{"class": "gold"}"#, "nothing to change"),
        (#"{"latency_target_ms": 0}"#, "latency_target_ms must be a positive"),
        (#"{"latency_target_ms": -1.5}"#, "latency_target_ms must be a positive"),
        (#"{"latency_target_ms": NaN}"#, "NaN"),
        (#"{"latency_target_ms": 1e999}"#, "not valid JSON"),
        (#"{"latency_target_ms": 1e308}"#, "between 0.001 ms (a microsecond) and 86400000 ms (a day)"),
        (#"{"latency_target_ms": 1e-320}"#, "between 0.001 ms"),
        (#"{"latency_target_ms": 18446744073709551616}"#, "limits of 64 bits"),
        ("null", "must be a JSON object"),
        ("1", "must be a JSON object"),
        ("true", "must be a JSON object"),
        (#"{"accuracy_target": 0}"#, "accuracy_target must be a number in (0, 1]"),
        (#"{"accuracy_target": 1.01}"#, "accuracy_target must be a number in (0, 1]"),
        (#"{"accuracy_target": -0.5}"#, "accuracy_target must be a number in (0, 1]"),
        (#"{"infeasible_policy": "drop"}"#, "infeasible_policy must be 'reject' or 'best_effort'"),
        (#"{"class": "", "latency_target_ms": 8}"#, "class must not be empty"),
    ])
    func updateRefuses(body: String, reason: String) {
        do throws(JSONFieldError) {
            let update = try SLOUpdate(body: Array(body.utf8))
            Issue.record("\(body) was accepted as \(update)")
        } catch {
            #expect(error.message.contains(reason), "\(body): \(error.message)")
        }
    }

    @Test func updateRefusesAccuracyAboveTheModelsBest() {
        let update = SLOUpdate(accuracyTarget: 0.95)
        #expect(throws: JSONFieldError.self) { try update.applied(to: SLOPolicy(), bestAccuracy: 0.9356) }
        #expect((try? SLOUpdate(accuracyTarget: 0.9356).applied(to: SLOPolicy(), bestAccuracy: 0.9356)) != nil)
    }

    @Test func updateChangesOnlyTheFieldsGiven() throws {
        let policy = SLOPolicy(
            modelDefaults: SLOTargets(latencyTargetMs: 10, accuracyTarget: 0.9),
            classTargets: ["gold": SLOTargets(latencyTargetMs: 5, accuracyTarget: 0.92)], maxQueueDepth: 7)

        let defaults = try SLOUpdate(latencyTargetMs: 20).applied(to: policy, bestAccuracy: 0.95)
        #expect(defaults.modelDefaults == SLOTargets(latencyTargetMs: 20, accuracyTarget: 0.9))
        #expect(defaults.classTargets == policy.classTargets)
        #expect(defaults.maxQueueDepth == 7)

        let gold = try SLOUpdate(accuracyTarget: 0.93, sloClass: "gold").applied(to: policy, bestAccuracy: 0.95)
        #expect(gold.classTargets["gold"] == SLOTargets(latencyTargetMs: 5, accuracyTarget: 0.93))
        #expect(gold.modelDefaults == policy.modelDefaults)

        // A new class takes the target it is not given from the model default.
        let silver = try SLOUpdate(latencyTargetMs: 3, sloClass: "silver").applied(to: policy, bestAccuracy: 0.95)
        #expect(silver.classTargets["silver"] == SLOTargets(latencyTargetMs: 3, accuracyTarget: 0.9))

        // The infeasible policy is per model: a class alongside it is not created.
        let bestEffort = try SLOUpdate(sloClass: "bronze", infeasiblePolicy: .bestEffort)
            .applied(to: policy, bestAccuracy: 0.95)
        #expect(bestEffort.infeasiblePolicy == .bestEffort)
        #expect(bestEffort.classTargets == policy.classTargets)
    }

    // MARK: - The token

    @Test func bearerTokenNeedsTheExactToken() throws {
        let token = try #require(BearerToken("s3cret-token"))
        #expect(token.authorizes("Bearer s3cret-token"))
        #expect(token.authorizes("bearer s3cret-token"))
        #expect(token.authorizes("BEARER   s3cret-token "))
        #expect(!token.authorizes(nil))
        #expect(!token.authorizes(""))
        #expect(!token.authorizes("Bearer"))
        #expect(!token.authorizes("Bearer "))
        #expect(!token.authorizes("Bearer s3cret-toke"))
        #expect(!token.authorizes("Bearer s3cret-token2"))
        #expect(!token.authorizes("Bearer S3cret-token"))
        #expect(!token.authorizes("Basic s3cret-token"))
        #expect(!token.authorizes("Bearers3cret-token"))
        #expect(!token.authorizes("s3cret-token"))
        #expect(BearerToken("") == nil)
        #expect(BearerToken.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!BearerToken.constantTimeEquals([], Array("abc".utf8)))
        #expect(!BearerToken.constantTimeEquals(Array("abcd".utf8), Array("abc".utf8)))
    }

    // MARK: - The handler, without a socket

    /// A handler over a repository with no models, so only the API's own answers are tested.
    private func emptyHandler(token: String?) throws -> OperatorServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zenith-empty-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let logger = Logger(label: "zenith.operator.tests", factory: { _ in SwiftLogNoOpLogHandler() })
        let repository = ModelRepository(options: ModelRepositoryOptions(directory: directory, logger: logger))
        return OperatorServer(repository: repository, token: token, logger: logger)
    }

    @Test func handlerAsksForTheTokenOnEveryPath() async throws {
        let handler = try emptyHandler(token: "s3cret")
        for path in ["/v2", "/v2/slo", "/v2/slo/status", "/v2/slo/models/x", "/nowhere"] {
            let response = await handler.handle(HTTPRequest(method: "GET", path: path))
            #expect(response.status == 401, "\(path)")
            #expect(response.headers["www-authenticate"] == "Bearer", "\(path)")
            #expect(try JSONValue(parsing: response.body)["error"]?.stringValue != nil, "\(path)")
        }
        let wrong = await handler.handle(
            HTTPRequest(method: "GET", path: "/v2/slo", headers: ["authorization": "Bearer s3cre"]))
        #expect(wrong.status == 401)

        let right = await handler.handle(
            HTTPRequest(method: "GET", path: "/v2/slo", headers: ["authorization": "Bearer s3cret"]))
        #expect(right.status == 200)
        #expect(try JSONValue(parsing: right.body) == ["models": []])
    }

    @Test func handlerWithoutTokenIsOpen() async throws {
        let handler = try emptyHandler(token: nil)
        let metadata = await handler.handle(HTTPRequest(method: "GET", path: "/v2"))
        #expect(metadata.status == 200)
        #expect(try JSONValue(parsing: metadata.body)["extensions"]?.arrayValue?.contains("slo") == true)

        let status = await handler.handle(HTTPRequest(method: "GET", path: "/v2/slo/status"))
        #expect(try JSONValue(parsing: status.body) == ["window_seconds": 10, "models": []])

        let unknown = await handler.handle(
            HTTPRequest(method: "POST", path: "/v2/slo/models/nope", body: Array(#"{"latency_target_ms": 5}"#.utf8)))
        #expect(unknown.status == 404)
        #expect(try JSONValue(parsing: unknown.body)["error"] == "unknown model 'nope'")

        let method = await handler.handle(HTTPRequest(method: "PUT", path: "/v2/slo/models/nope"))
        #expect(method.status == 405)
        #expect(method.headers["allow"] == "GET, POST")
    }

    // MARK: - The recent window

    @Test func recentWindowSummarisesTheLastTenSeconds() throws {
        let second: UInt64 = 1_000_000_000
        var window = RecentWindow(
            plans: ["dense", "exit"], reasons: ["slo_infeasible", "queue_full"], start: Instant(nanoseconds: 0))
        let empty = window.summary(now: Instant(nanoseconds: 100 * second))
        #expect(empty.requestsPerSecond == 0)
        #expect(empty.p50Ms == nil && empty.p99Ms == nil && empty.attainment == nil)
        #expect(empty.planMix.isEmpty)

        let at = Instant(nanoseconds: 100 * second + second / 4)
        for _ in 0..<98 { window.served(latencyNanos: 2_000_000, plans: ["dense"], sloMet: true, now: at) }
        window.served(latencyNanos: 50_000_000, plans: ["exit", "exit", "dense"], sloMet: false, now: at)
        window.served(latencyNanos: 50_000_000, plans: ["exit"], sloMet: false, now: at)
        window.failed(reason: "slo_infeasible", missedSLO: true, now: at)
        window.failed(reason: "bad_request", missedSLO: false, now: at)

        let now = Instant(nanoseconds: 105 * second + second / 2)
        let summary = window.summary(now: now)
        // 102 answered over the 9.5 s the buckets cover.
        #expect(abs(summary.requestsPerSecond - 102 / 9.5) < 1e-9)
        let p50 = try #require(summary.p50Ms)
        let p99 = try #require(summary.p99Ms)
        #expect(abs(p50 - 2) / 2 < 0.05, "\(p50)")
        #expect(abs(p99 - 50) / 50 < 0.05, "\(p99)")
        #expect(summary.attainment == 98.0 / 101.0)
        #expect(summary.planMix.map(\.plan) == ["dense", "exit"])
        #expect(summary.planMix.map(\.share) == [99.0 / 102.0, 3.0 / 102.0])
        #expect(summary.rejects.map(\.reason) == ["slo_infeasible", "queue_full"])
        #expect(summary.rejects.map(\.count) == [1, 0])

        // Ten seconds on, the second is out of the window, and its bucket is reused cleanly.
        let later = Instant(nanoseconds: 110 * second + second / 2)
        #expect(window.summary(now: later).requestsPerSecond == 0)
        window.failed(reason: "queue_full", missedSLO: true, now: later)
        let reused = window.summary(now: later)
        #expect(reused.rejects.map(\.count) == [0, 1])
        #expect(reused.attainment == 0)
        #expect(reused.p50Ms == nil)
    }

    @Test func youngWindowDividesByItsAge() {
        let start = Instant(nanoseconds: 50_000_000_000)
        var window = RecentWindow(plans: ["dense"], reasons: [], start: start)
        for _ in 0..<6 {
            window.served(latencyNanos: 1_000, plans: ["dense"], sloMet: true, now: start.advanced(by: 1_000_000))
        }
        // 3 s old: 6 requests in 3 s, not in the window's 10.
        #expect(window.summary(now: start.advanced(by: 3_000_000_000)).requestsPerSecond == 2)
        // Younger than a second: divided by a second, not by a few milliseconds.
        #expect(window.summary(now: start.advanced(by: 2_000_000)).requestsPerSecond == 6)
    }

    @Test func histogramBucketsAreLogScale() {
        #expect(RecentWindow.bucket(nanos: 0) == 0)
        #expect(RecentWindow.bucket(nanos: 1_000) == 0)
        #expect(RecentWindow.bucket(nanos: 2_000) == 8)
        #expect(RecentWindow.bucket(nanos: .max) == RecentWindow.latencyBuckets - 1)
        for nanos: UInt64 in [1_500, 37_000, 812_345, 9_999_999, 2_000_000_000] {
            let middle = RecentWindow.representativeNanos(bucket: RecentWindow.bucket(nanos: nanos))
            #expect(abs(middle - Double(nanos)) / Double(nanos) < 0.05, "\(nanos) → \(middle)")
        }
    }

    // MARK: - The state file

    private func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("zenith-state-\(UUID())").path
    }

    @Test func stateFileRoundTrips() throws {
        let directory = temporaryDirectory()
        let store = try SLOStateStore(directory: directory)
        #expect(store.allTargets.isEmpty)
        let gold = StoredTargets(
            defaults: SLOTargets(latencyTargetMs: 8, accuracyTarget: 0.9),
            classes: ["gold": SLOTargets(latencyTargetMs: 2.5, accuracyTarget: nil)], infeasiblePolicy: .bestEffort)
        try store.update { (entries, save) throws(RequestError) in
            entries["m"] = gold
            entries["other"] = StoredTargets(infeasiblePolicy: .reject)
            do throws(StateFileError) { try save(entries) } catch { throw RequestError(status: 500, message: "\(error)") }
        }
        let file = "\(directory)/slo-targets.json"
        let written = try JSONValue(parsing: try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(written["version"] == 1)
        #expect(written["models"]?["m"]?["classes"]?["gold"] == ["latency_target_ms": 2.5, "accuracy_target": nil])
        #expect(written["models"]?["m"]?["infeasible_policy"] == "best_effort")
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["slo-targets.json"])

        let reloaded = try SLOStateStore(directory: directory)
        #expect(reloaded.targets(for: "m") == gold)
        #expect(reloaded.targets(for: "other") == StoredTargets(infeasiblePolicy: .reject))
        #expect(reloaded.file == file)
    }

    @Test(arguments: [
        ("{", "not valid JSON"),
        ("[]", "must be a JSON object"),
        (#"{"models": {}}"#, "missing 'version'"),
        (#"{"version": 2, "models": {}}"#, "version 2 is not supported"),
        (#"{"version": 1}"#, "missing 'models'"),
        (#"{"version": 1, "models": {}, "extra": 1}"#, "unknown field 'extra'"),
        (
            #"{"version": 1, "models": {"m": {"default": {"latency_target_ms": -1}}}}"#,
            "models.m.default.latency_target_ms"
        ),
        (
            #"{"version": 1, "models": {"m": {"classes": {"gold": {"accuracy_target": 1.5}}}}}"#,
            "models.m.classes.gold.accuracy_target"
        ),
        (#"{"version": 1, "models": {"m": {"infeasible_policy": "maybe"}}}"#, "models.m.infeasible_policy"),
        (#"{"version": 1, "models": {"m": {"default": {"latency": 5}}}}"#, "unknown field 'models.m.default.latency'"),
        (#"{"version": 1, "models": {"m": 3}}"#, "models.m must be an object"),
    ])
    func invalidStateFileNamesTheFileAndTheFault(content: String, fault: String) throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = "\(directory)/slo-targets.json"
        try Data(content.utf8).write(to: URL(fileURLWithPath: file))
        do throws(StateFileError) {
            _ = try SLOStateStore(directory: directory)
            Issue.record("\(content) was accepted")
        } catch {
            #expect(error.file == file)
            #expect(error.description.hasPrefix(file))
            #expect(error.reason.contains(fault), "\(error.reason)")
        }
    }

    // MARK: - config.json

    @Test func configDeclaresStartUpClasses() throws {
        let file = "\(repositoryRoot)/Models/fashion-mlp/config.json"
        guard case .object(var root) = try JSONValue(parsing: try Data(contentsOf: URL(fileURLWithPath: file))),
            case .object(var slo) = root["slo"] ?? .null
        else {
            Issue.record("\(file) has no slo object")
            return
        }
        slo["classes"] = ["gold": ["latency_target_ms": 5, "accuracy_target": 0.9], "batch": ["latency_target_ms": 500]]
        root["slo"] = .object(slo)
        let config = try ModelConfig(json: .object(root), file: file)
        #expect(config.sloClasses["gold"] == SLOTargets(latencyTargetMs: 5, accuracyTarget: 0.9))
        #expect(config.sloClasses["batch"] == SLOTargets(latencyTargetMs: 500))
        #expect(SLOPolicy(config: config).classTargets == config.sloClasses)

        slo["classes"] = ["gold": ["latency_target_ms": "fast"]]
        root["slo"] = .object(slo)
        #expect(throws: ModelLoadError.self) { try ModelConfig(json: .object(root), file: file) }
    }
}
