import ArgumentParser
import Foundation
import SLOCtlKit
import Testing

/// Bad values are refused by `validate()`, with a message naming the option, before anything is sent.
@Suite struct ArgumentValidationTests {
    /// The message ArgumentParser would print for parsing `arguments` as `Command`, or `nil` if they parse.
    func refusal<Command: ParsableCommand>(_ command: Command.Type, _ arguments: [String]) -> String? {
        do {
            _ = try Command.parse(arguments)
            return nil
        } catch {
            return Command.message(for: error)
        }
    }

    @Test(arguments: [
        (["--latency-ms", "0"], "--latency-ms must be a positive number of milliseconds (got 0.0)"),
        (["--latency-ms", "-3"], "--latency-ms must be a positive number of milliseconds (got -3.0)"),
        (["--latency-ms", "nan"], "--latency-ms must be a positive number of milliseconds (got nan)"),
        (["--latency-ms", "inf"], "--latency-ms must be a positive number of milliseconds (got inf)"),
        (["--accuracy", "0"], "--accuracy must be in (0, 1] (got 0.0)"),
        (["--accuracy", "1.01"], "--accuracy must be in (0, 1] (got 1.01)"),
        (["--accuracy", "nan"], "--accuracy must be in (0, 1] (got nan)"),
        (["--accuracy", "-0.5"], "--accuracy must be in (0, 1] (got -0.5)"),
        (["--latency-ms", "5", "--class", ""], "--class must not be empty"),
        ([], "give at least one of --latency-ms, --accuracy and --policy"),
        (["--class", "gold"], "give at least one of --latency-ms, --accuracy and --policy"),
    ])
    func setTargetRefusesBadTargets(extra: [String], message: String) {
        #expect(self.refusal(SetTarget.self, ["fashion-cnn"] + extra) == message)
    }

    @Test func setTargetAcceptsTheEdgesAndBuildsTheUpdate() throws {
        let command = try SetTarget.parse(["m", "--accuracy", "1", "--latency-ms", "0.5", "--class", "gold"])
        #expect(command.request() == OperatorRequest(
            method: "POST", path: "/v2/slo/models/m",
            body: ["latency_target_ms": 0.5, "accuracy_target": 1.0, "class": "gold"]))
        let policyOnly = try SetTarget.parse(["m", "--policy", "best_effort"])
        #expect(policyOnly.request().body == ["infeasible_policy": "best_effort"])
        #expect(self.refusal(SetTarget.self, ["m", "--policy", "maybe"])?.contains("maybe") == true)
    }

    @Test func namesAreEscapedIntoOnePathSegment() throws {
        let command = try DeleteClass.parse(["my model", "a/b?c"])
        #expect(command.request() == OperatorRequest(method: "DELETE", path: "/v2/slo/models/my%20model/classes/a%2Fb%3Fc"))
        #expect(self.refusal(DeleteClass.self, ["m", ""]) == "CLASS must not be empty")
        #expect(try GetTarget.parse([]).request() == .listModels)
        #expect(try GetTarget.parse(["m"]).request() == OperatorRequest(method: "GET", path: "/v2/slo/models/m"))
    }

    @Test(arguments: [
        ("127.0.0.1:8001", "invalid endpoint '127.0.0.1:8001': expected http://HOST:PORT"),
        ("http://", "invalid endpoint 'http://': the host is missing"),
        ("http://:8001", "invalid endpoint 'http://:8001': the host is missing"),
        ("http://host:0", "invalid endpoint 'http://host:0': the port must be a number from 1 to 65535"),
        ("http://host:70000", "invalid endpoint 'http://host:70000': the port must be a number from 1 to 65535"),
        ("http://host:80x", "invalid endpoint 'http://host:80x': the port must be a number from 1 to 65535"),
        ("http://host:1?x=1", "invalid endpoint 'http://host:1?x=1': a query or fragment is not allowed"),
        ("http://u@host:1", "invalid endpoint 'http://u@host:1': user information is not allowed"),
        ("http://::1:8001", "invalid endpoint 'http://::1:8001': an IPv6 address must be written in brackets"),
        ("https://host:1", "invalid endpoint 'https://host:1': https is not supported; the operator API speaks cleartext HTTP/2 (use http://)"),
    ])
    func malformedEndpointsAreRefused(url: String, message: String) {
        #expect(self.refusal(Status.self, ["--endpoint", "http://127.0.0.1:1", "--endpoint", url]) == message)
    }

    @Test func endpointsParse() throws {
        let v6 = try OperatorEndpoint(parsing: "http://[::1]:8001/")
        #expect(v6.host == "::1" && v6.port == 8001 && v6.pathPrefix == "")
        #expect(v6.description == "http://[::1]:8001")
        let named = try OperatorEndpoint(parsing: "HTTP://zenith.local/ops/")
        #expect(named.host == "zenith.local" && named.port == 80 && named.pathPrefix == "/ops")
        let none = try Models.parse([]).options
        #expect(try none.endpoints(environment: [:]).map(\.description) == ["http://127.0.0.1:8001"])
        let two = try Models.parse(["--endpoint", "http://a:1", "--endpoint", "http://b:2"])
        #expect(try two.options.endpoints(environment: [:]).map(\.description) == ["http://a:1", "http://b:2"])
    }

    /// `$ZENITH_OPERATOR_ENDPOINTS` names the replicas when no `--endpoint` does.
    @Test func endpointsFromTheEnvironment() throws {
        let none = try Models.parse([]).options
        let listed = ["ZENITH_OPERATOR_ENDPOINTS": " http://a:1, http://b:2 ,"]
        #expect(try none.endpoints(environment: listed).map(\.description) == ["http://a:1", "http://b:2"])
        let given = try Models.parse(["--endpoint", "http://c:3"]).options
        #expect(try given.endpoints(environment: listed).map(\.description) == ["http://c:3"])
        #expect(throws: ValidationError.self) {
            try none.endpoints(environment: ["ZENITH_OPERATOR_ENDPOINTS": "http://a:1,ftp://b"])
        }
    }

    @Test func sharedOptionsAreChecked() throws {
        #expect(self.refusal(Models.self, ["--timeout", "0"]) == "--timeout must be a positive number of seconds (got 0.0)")
        #expect(self.refusal(Models.self, ["--timeout", "nan"]) == "--timeout must be a positive number of seconds (got nan)")
        #expect(self.refusal(Models.self, ["--token", "a", "--token-file", "/x"]) == "give --token or --token-file, not both")
        #expect(self.refusal(Models.self, ["--token", ""]) == "--token must not be empty")
        #expect(
            self.refusal(Models.self, ["--token-file", "/nonexistent/zenith-token"])
                == "cannot read the token file /nonexistent/zenith-token")
    }

    @Test func theTokenComesFromTheOptionTheFileOrTheEnvironment() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sloctl-token-\(UUID().uuidString)")
        try "  secret-from-file\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let environment = ["ZENITH_OPERATOR_TOKEN": "from-env"]
        #expect(try Models.parse(["--token", "cli"]).options.resolveToken(environment: environment) == "cli")
        #expect(try Models.parse(["--token-file", file.path]).options.resolveToken(environment: environment) == "secret-from-file")
        #expect(try Models.parse([]).options.resolveToken(environment: environment) == "from-env")
        #expect(try Models.parse([]).options.resolveToken(environment: [:]) == nil)
    }
}
