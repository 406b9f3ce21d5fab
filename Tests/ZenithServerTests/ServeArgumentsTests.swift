import Testing
import ZenithJSON

@testable import ZenithServer

/// `zenith serve`'s options from a file and the environment: the command line wins, then the
/// environment, then the file.
@Suite struct ServeArgumentsTests {
    @Test func precedenceAndValueKinds() throws {
        let file: JSONValue = [
            "port": 9000, "dense-only": true, "idle-poll": false, "log-format": "json", "host": "127.0.0.1",
            "deadline-headroom": 0.2,
        ]
        let completed = try ServeArguments.complete(
            ["--port=8080", "--workers", "2"], file: file,
            environment: ["ZENITH_SERVE_HOST": "0.0.0.0", "ZENITH_SERVE_NO_OPERATOR": "true", "ZENITH_HOME": "/x"])
        #expect(
            completed == [
                "--port=8080", "--workers", "2",
                "--host", "0.0.0.0", "--no-operator",
                "--dense-only", "--log-format", "json", "--deadline-headroom", "0.2",
            ])
    }

    @Test func aFileThatIsNotAnObjectOrHoldsAnObjectIsRefused() {
        #expect(throws: ServeArguments.Failure.self) {
            try ServeArguments.complete([], file: [1, 2], environment: [:])
        }
        #expect(throws: ServeArguments.Failure.self) {
            try ServeArguments.complete([], file: ["port": ["a": 1]], environment: [:])
        }
    }
}
