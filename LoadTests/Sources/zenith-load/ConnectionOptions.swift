import Foundation
import ArgumentParser
import ZenithHTTP
import ZenithLoad

/// Options shared by every subcommand: where the server is and how to connect.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The zenith binary to start (when no --endpoint is given).")
    var zenith = ".build/release/zenith"

    @Option(parsing: .unconditionalSingleValue, help: "An extra argument for `zenith serve` (repeatable), e.g. --serve-arg=--workers --serve-arg=2.")
    var serveArg: [String] = []

    @Option(help: "Use this running server (http://HOST:PORT) instead of starting one.")
    var endpoint: String?

    @Option(help: "The operator API of the --endpoint server (http://HOST:PORT).")
    var operatorEndpoint: String?

    @Option(help: "A file holding the operator API's bearer token.")
    var operatorTokenFile: String?

    @Option(name: .customLong("interference-cpus"), help: "CPUs a scenario's interference (zenith-load burn) is pinned to, as taskset -c takes them: the server's, to share its cores.")
    var interferenceCPUs: String?

    @Option(help: "Client connections; requests are spread over them round-robin.")
    var connections = 16

    @Option(help: "http2 (h2c prior knowledge, many streams per connection) or http1.")
    var http = "http2"

    @Option(
        name: .customLong("protocol"),
        help: "rest, or grpc: KServe v2 gRPC ModelInfer calls on the same port (HTTP/2 only).")
    var wireProtocol: WireProtocol = .rest

    @Option(help: "Client event-loop threads.")
    var clientThreads = 1

    @Option(help: "Seconds to wait for answers after the last send before counting the rest as lost.")
    var drain = 10.0

    /// Off by default: the harness runs pinned to one core, where a spinning sender takes the core
    /// from the event loop that writes its requests and reads the answers, and makes later sends
    /// and answers late.
    @Option(
        help: ArgumentHelp(
            "The sender sleeps until this many microseconds before a send time, then spins.",
            discussion: "Worth it only when the sender has a core to itself; sleeping alone sends within the timer's slack (about 60 µs)."))
    var spinMicros = 0

    func validate() throws {
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard http == "http2" || http == "http1" else { throw ValidationError("--http must be http2 or http1") }
        if wireProtocol == .grpc && http != "http2" { throw ValidationError("--protocol grpc needs --http http2") }
        guard clientThreads >= 1 else { throw ValidationError("--client-threads must be at least 1") }
        if let endpoint, Endpoint(url: endpoint) == nil { throw ValidationError("--endpoint must be http://HOST:PORT") }
        if let operatorEndpoint, Endpoint(url: operatorEndpoint) == nil {
            throw ValidationError("--operator-endpoint must be http://HOST:PORT")
        }
        if operatorEndpoint != nil && endpoint == nil {
            throw ValidationError("--operator-endpoint goes with --endpoint (a started server reports its own)")
        }
    }

    var target: ServerTarget {
        if let endpoint, let parsed = Endpoint(url: endpoint) {
            return .external(endpoint: parsed, operatorEndpoint: operatorEndpoint.flatMap(Endpoint.init(url:)))
        }
        return .spawn(zenith: zenith, extraArguments: serveArg)
    }

    /// The given server, or a `zenith serve --dense-only` started for this command (logging to
    /// `logPath`; the caller stops it).
    func denseServer(logPath: String) async throws -> (endpoint: Endpoint, process: ServerProcess?) {
        switch target {
        case .external(let given, _):
            return (given, nil)
        case .spawn(let zenith, let extra):
            let started = try await ServerProcess.start(
                executable: zenith, modeArguments: ServingMode.dense.serverArguments(model: ""), extraArguments: extra, logPath: logPath)
            return (started.endpoint, started)
        }
    }

    func runOptions() throws -> RunOptions {
        var token: String?
        if let operatorTokenFile {
            token = try String(contentsOfFile: operatorTokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return RunOptions(
            connections: connections, version: http == "http1" ? .http1_1 : .http2, drainSeconds: drain,
            spinMicros: spinMicros, operatorToken: token, interferenceCPUs: interferenceCPUs)
    }
}
