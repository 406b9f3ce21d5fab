import Foundation
import SLOCtlKit
import Testing
import ZenithHTTP
import ZenithJSON
import ZenithTestSupport

/// The commands against an in-test operator API on ZenithHTTP's server, over the HTTP/2 client.
@Suite struct SLOCtlEndToEndTests {
    /// Every command waits this long for the fake, not sloctl's default 5 s: in a full sanitized
    /// run on a loaded machine a handshake can take longer, and the wait is not what is tested.
    static let patient = ["--timeout", "120"]

    @Test func modelsAndStatusPrintTablesOverHTTP2() async throws {
        try await withFakeOperator { endpoint, handler in
            let models = try await Models.parse(["--endpoint", endpoint] + Self.patient).execute(environment: [:])
            #expect(!models.failed && models.stderr.isEmpty)
            #expect(models.stdout.hasPrefix("MODEL        MODE        LATENCY MS"))
            #expect(models.stdout.contains("fashion-cnn  controller          10     0.916  reject          0.929  gold"))

            let status = try await Status.parse(["--endpoint", endpoint] + Self.patient).execute(environment: [:])
            let expected = try SLOReport.status(FakeOperatorHandler.status)
            #expect(status.stdout == expected)

            #expect(handler.received.map(\.path) == ["/v2/slo", "/v2/slo/status"])
            #expect(handler.received.allSatisfy { $0.version == .http2 && $0.method == "GET" })
        }
    }

    /// Replicas named by `$ZENITH_OPERATOR_ENDPOINTS`: one combined status table.
    @Test func statusOverReplicasIsOneTable() async throws {
        try await withFakeOperator { first, _ in
            try await withFakeOperator { second, _ in
                let status = try await Status.parse(Self.patient).execute(
                    environment: ["ZENITH_OPERATOR_ENDPOINTS": "\(first),\(second)"])
                #expect(!status.failed && status.stderr.isEmpty)
                let expected = try SLOReport.replicaStatus(
                    [(first, FakeOperatorHandler.status), (second, FakeOperatorHandler.status)])
                #expect(status.stdout == expected)
            }
        }
    }

    @Test func setTargetSendsOnlyTheGivenFieldsAndPrintsTheNewState() async throws {
        try await withFakeOperator { endpoint, handler in
            let output = try await SetTarget.parse(
                ["fashion-cnn", "--latency-ms", "8", "--class", "silver", "--endpoint", endpoint] + Self.patient
            ).execute(environment: [:])
            #expect(!output.failed, "\(output.stderr)")
            #expect(output.stdout.contains("fashion-cnn  silver            8     0.916"))
            let sent = try #require(handler.received.last)
            #expect(sent.method == "POST" && sent.path == "/v2/slo/models/fashion-cnn")
            #expect(try JSONValue(parsing: sent.body) == ["latency_target_ms": 8.0, "class": "silver"])

            let get = try await GetTarget.parse(["fashion-cnn", "--endpoint", endpoint, "--json"] + Self.patient)
                .execute(environment: [:])
            let state = try JSONValue(parsing: get.stdout)
            #expect(state["classes"]?["silver"]?["latency_target_ms"] == 8.0)
        }
    }

    @Test func serverErrorsPrintTheirReasonAndFail() async throws {
        try await withFakeOperator { endpoint, _ in
            let tooAccurate = try await SetTarget.parse(
                ["fashion-cnn", "--accuracy", "0.99", "--endpoint", endpoint] + Self.patient)
                .execute(environment: [:])
            #expect(tooAccurate.failed)
            #expect(tooAccurate.stdout.isEmpty)
            #expect(
                tooAccurate.stderr
                    == "sloctl: \(endpoint): accuracy_target 0.99 is above the best plan accuracy 0.929 (HTTP 400)\n")

            let unknown = try await GetTarget.parse(["nope", "--endpoint", endpoint] + Self.patient)
                .execute(environment: [:])
            #expect(unknown.stderr == "sloctl: \(endpoint): unknown model \"nope\" (HTTP 404)\n")

            let deleted = try await DeleteClass.parse(["fashion-cnn", "gold", "--endpoint", endpoint] + Self.patient)
                .execute(environment: [:])
            #expect(!deleted.failed)
            #expect(!deleted.stdout.contains("gold"))
            let again = try await DeleteClass.parse(["fashion-cnn", "gold", "--endpoint", endpoint] + Self.patient)
                .execute(environment: [:])
            #expect(again.stderr == "sloctl: \(endpoint): model fashion-cnn has no class \"gold\" (HTTP 404)\n")
        }
    }

    @Test func theBearerTokenIsSentFromEachSource() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sloctl-token-\(UUID().uuidString)")
        try "s3cret\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        try await withFakeOperator(token: "s3cret") { endpoint, handler in
            let anonymous = try await Models.parse(["--endpoint", endpoint] + Self.patient).execute(environment: [:])
            #expect(anonymous.stderr == "sloctl: \(endpoint): missing or wrong bearer token (HTTP 401)\n")
            for (arguments, environment) in [
                (["--token", "s3cret"], [:]), (["--token-file", file.path], [:]),
                ([], ["ZENITH_OPERATOR_TOKEN": "s3cret"]),
            ] {
                let output = try await Models.parse(["--endpoint", endpoint] + Self.patient + arguments)
                    .execute(environment: environment)
                #expect(!output.failed, "\(arguments): \(output.stderr)")
            }
            #expect(handler.received.map(\.authorization) == [nil, "Bearer s3cret", "Bearer s3cret", "Bearer s3cret"])
        }
    }

    @Test func everyEndpointIsCalledAndEachFailureReported() async throws {
        let refusing = try RefusingPort()
        let down = "http://127.0.0.1:\(refusing.port)"
        try await withFakeOperator { endpoint, handler in
            let arguments =
                ["fashion-cnn", "--policy", "best_effort", "--endpoint", endpoint, "--endpoint", down] + Self.patient
            let output = try await SetTarget.parse(arguments).execute(environment: [:])
            #expect(output.failed)
            #expect(output.stdout.hasPrefix("\(endpoint):\nMODEL"))
            #expect(output.stderr == "sloctl: \(down): connection refused\n")
            #expect(handler.received.count == 1)

            let json = try await SetTarget.parse(arguments + ["--json"]).execute(environment: [:])
            let lines = try json.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
            #expect(lines.count == 2)
            #expect(lines.first?["endpoint"] == .string(endpoint))
            #expect(lines.first?["response"]?["infeasible_policy"] == "best_effort")
            #expect(lines.last == ["endpoint": .string(down), "error": "connection refused"])
        }
    }

    @Test func theExecutableReportsAnUnreachableServerOnOneLine() async throws {
        guard let sloctl = builtProduct("sloctl") else {
            Issue.record("the sloctl executable was not found next to the test bundle: run `swift build` first")
            return
        }
        let refusing = try RefusingPort()
        let port = refusing.port
        let result = try await run(sloctl, ["status", "--endpoint", "http://127.0.0.1:\(port)", "--timeout", "3"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "sloctl: http://127.0.0.1:\(port): connection refused\n")

        let invalid = try await run(sloctl, ["set-target", "m", "--accuracy", "2"])
        #expect(invalid.status == 64)
        #expect(invalid.stderr.hasPrefix("Error: --accuracy must be in (0, 1] (got 2.0)\n"))
    }
}
