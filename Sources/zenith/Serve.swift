import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import ZenithData
import ZenithExecutor
import ZenithHTTP
import ZenithServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve every model of the repository over the Open Inference Protocol (HTTP/1.1 and h2c).")

    @Option(
        help: ArgumentHelp(
            "A JSON object of options (\"port\": 8080, \"dense-only\": true, ...); ZENITH_SERVE_<NAME> variables set them too. Flags win, then variables, then the file.",
            valueName: "file"))
    var config: String?

    @Option(help: "The model repository: one folder per model (default: Models in \(Zenith.homeHelp)).")
    var repository: String?

    @Option(
        help: """
            Profiles written by `zenith profile`, measured at start-up when missing (default: Profiles \
            in \(Zenith.homeHelp)).
            """)
    var profiles: String?

    @Option(help: "The address to listen on.")
    var host = "0.0.0.0"

    @Option(help: "The port to listen on; 0 picks a free one (printed on standard output).")
    var port = 8000

    @Option(
        help: ArgumentHelp(
            "A port answering only /v2/health/live, /v2/health/ready and /metrics, on a thread of its own (none by default; 0 picks a free one).",
            discussion: """
                The data port answers the same paths, but on the event loops that also decode \
                request bodies: under a flood of large bodies a probe there waits its turn. Point \
                liveness and readiness probes here.
                """))
    var healthPort: Int?

    @Option(help: "The address the health port listens on (default: --host).")
    var healthHost: String?

    @Option(help: "Executor threads per model (default: the cores this process may use: its CPU affinity and cgroup quota count).")
    var workers: Int?

    @Option(help: "OpenBLAS threads (default: cores / workers, at least 1).")
    var blasThreads: Int?

    @Option(
        help: ArgumentHelp(
            "Event loop threads of the data port (default: the cores this process may use).",
            discussion: """
                More loops than cores only adds context switches between them: a server pinned \
                to one core runs one loop there.
                """))
    var eventLoops: Int?

    @Flag(help: "Switch the SLO controller off: always dense, first come first served (for comparisons).")
    var denseOnly = false

    @Option(
        help: ArgumentHelp(
            "Serve MODEL with its plan PLAN alone, first come first served (repeatable).",
            discussion: """
                The baseline of a statically pruned model, for comparisons: the controller is off \
                for that model as with --dense-only, but the batches run PLAN, a non-dense plan \
                of its config.json. Other models are served as the other flags say.
                """, valueName: "MODEL=PLAN"))
    var staticPlan: [String] = []

    @Flag(
        help: ArgumentHelp(
            "Keep the cores from idling: one idle-class thread per core yields in a loop.",
            discussion: """
                On a virtual machine an idle vCPU halts, and every hand-off to it (a request \
                arriving, a batch handed to a worker) first waits for the hypervisor to wake it. \
                Polling cuts that wait at the cost of power: the cores show 100% busy. The work \
                itself is not slowed (the pollers run only when nothing else wants the core).
                """))
    var idlePoll = false

    @Option(help: "Samples queued per model at most; more are refused with 503.")
    var maxQueueDepth = 1024

    @Option(
        help:
            "Request-body bytes one HTTP/2 connection may hold at once over its unfinished streams (at least --max-body-bytes); the stream that would pass it gets 429.")
    var maxConnectionBodyBytes = 32 * 1024 * 1024

    @Option(
        help:
            "Request-body bytes all connections together may hold at once in bodies still arriving (at least --max-connection-body-bytes); the request that would pass it gets 503.")
    var maxProcessBodyBytes = 256 * 1024 * 1024

    @Option(help: "Largest request body in bytes; larger ones get 413.")
    var maxBodyBytes = 16 * 1024 * 1024

    @Option(help: "Seconds an HTTP/1.1 request may take to arrive, head and body, from its first byte; slower ones get 408.")
    var requestTimeout = 30.0

    @Option(
        help:
            "Open connections in all; at the limit a newcomer displaces the oldest connection of the client address holding the most, or is closed if it would hold as many.")
    var maxConnections = 1024

    @Option(help: "Open connections one client address may hold; more are closed at once.")
    var maxConnectionsPerClient = 256

    @Option(
        help: """
            Share of each latency target kept out of the controller's plans, for the transport \
            around it and prediction error (0 plans right up to the target).
            """)
    var deadlineHeadroom = 0.15

    @Option(
        help: """
            Highest share of the workers' time (the cores the rest of the process leaves them) the \
            controller plans to use at the recent arrival rate (when the workers share every core \
            with the frontend, the cores as a whole are also kept within 0.9, or this if higher): \
            plans that would need more are passed over for cheaper ones. The rest is the margin \
            for a rise in load the ~250 ms rate estimate has not caught up with yet (lower: \
            shorter queues and cheaper plans).
            """)
    var maxUtilization = 0.6

    @Option(help: "Timed warm-up runs per plan and batch size at start-up (0: trust Profiles/ as they are).")
    var warmupIterations = 5

    @Option(help: "The folder holding Fashion-MNIST (to measure accuracy when a profile is missing).")
    var dataset = FashionMNIST.defaultDirectory

    @Option(help: "trace, debug, info, notice, warning, error or critical (debug: one line per request).")
    var logLevel = "info"

    @Option(
        help: "How records are written to standard error: text lines, or one JSON object a line, metadata as fields.")
    var logFormat = LogFormat.text

    @Option(help: "The address the operator API (sloctl) listens on.")
    var operatorHost = "127.0.0.1"

    @Option(help: "The operator API's port; 0 picks a free one (printed on standard output).")
    var operatorPort = 8001

    @Option(
        help: ArgumentHelp(
            "A file whose trimmed content is the operator API's bearer token (else $ZENITH_OPERATOR_TOKEN; else open).",
            valueName: "path"))
    var operatorTokenFile: String?

    @Option(
        help: ArgumentHelp("Where targets set through the operator API persist (none by default).", valueName: "path"))
    var stateDir: String?

    @Option(
        help: ArgumentHelp(
            "none: loading and unloading models through the data port's repository API is refused (403); explicit: allowed, with the operator token when one is set (as Triton's --model-control-mode).",
            valueName: "mode"))
    var modelControl = "none"

    @Flag(help: "No operator API listener (targets in --state-dir still apply).")
    var noOperator = false

    private static var cores: Int { AvailableCores.count }

    private var resolvedWorkers: Int { workers ?? Self.cores }
    private var resolvedBLASThreads: Int { blasThreads ?? max(1, Self.cores / resolvedWorkers) }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard (0...65535).contains(operatorPort) else { throw ValidationError("--operator-port must be 0...65535") }
        if !noOperator, port != 0, operatorPort == port {
            throw ValidationError("--operator-port must differ from --port (the operator API listens on its own)")
        }
        if let healthPort {
            guard (0...65535).contains(healthPort) else { throw ValidationError("--health-port must be 0...65535") }
            if healthPort != 0, healthPort == port || (!noOperator && healthPort == operatorPort) {
                throw ValidationError("--health-port must differ from --port and --operator-port")
            }
        }
        if let healthHost, healthHost.isEmpty { throw ValidationError("--health-host must not be empty") }
        if let stateDir, stateDir.isEmpty { throw ValidationError("--state-dir must not be empty") }
        // Read here too so a missing or empty token file stops `serve` before any model loads.
        _ = try operatorToken()
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if let blasThreads, blasThreads < 1 { throw ValidationError("--blas-threads must be at least 1") }
        if let eventLoops, eventLoops < 1 { throw ValidationError("--event-loops must be at least 1") }
        guard resolvedWorkers * resolvedBLASThreads <= max(Self.cores, resolvedWorkers) else {
            throw ValidationError(
                "--workers \(resolvedWorkers) × --blas-threads \(resolvedBLASThreads) exceeds the \(Self.cores) cores")
        }
        guard maxQueueDepth >= 1 else { throw ValidationError("--max-queue-depth must be at least 1") }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
        guard maxConnectionBodyBytes >= maxBodyBytes else {
            throw ValidationError("--max-connection-body-bytes must be at least --max-body-bytes (\(maxBodyBytes))")
        }
        guard maxProcessBodyBytes >= maxConnectionBodyBytes else {
            throw ValidationError(
                "--max-process-body-bytes must be at least --max-connection-body-bytes (\(maxConnectionBodyBytes))")
        }
        guard ["none", "explicit"].contains(modelControl) else {
            throw ValidationError("--model-control must be none or explicit (got \(modelControl))")
        }
        // Each connection is a descriptor; past what the process may open, accepting fails anyway.
        guard (1...1_048_576).contains(maxConnections) else {
            throw ValidationError("--max-connections must be 1...1048576")
        }
        guard (1...1_048_576).contains(maxConnectionsPerClient) else {
            throw ValidationError("--max-connections-per-client must be 1...1048576")
        }
        guard requestTimeout.isFinite, requestTimeout > 0, requestTimeout <= 3600 else {
            throw ValidationError("--request-timeout must be more than 0 and at most 3600 seconds")
        }
        guard deadlineHeadroom >= 0, deadlineHeadroom < 0.9 else {
            throw ValidationError("--deadline-headroom must be in [0, 0.9)")
        }
        guard maxUtilization > 0.05, maxUtilization <= 1 else {
            throw ValidationError("--max-utilization must be in (0.05, 1]")
        }
        guard warmupIterations >= 0 else { throw ValidationError("--warmup-iterations must be at least 0") }
        _ = try staticPlans()
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError(
                "--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let format = logFormat
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                switch format {
                case .text: StreamLogHandler.standardError(label: label)
                case .json: JSONLogHandler.standardError(label: label)
                }
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "zenith")
        logger.logLevel = level
        let home = Zenith.home
        logger.debug(
            "relative defaults are taken from \(home.directory)",
            metadata: ["home": "\(home.directory)", "home_source": "\(home.source)"])

        // Only the executable picks the metrics backend; the library emits through swift-metrics.
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64]
        MetricsSystem.bootstrap(
            PrometheusHelpFactory(factory, help: ModelMetrics.helpTexts.merging(ProcessMetrics.helpTexts) { a, _ in a }))
        let process = ProcessMetrics()

        let application = try await ZenithApplication(
            repository: ModelRepositoryOptions(
                directory: repository ?? home.path("Models"), profiles: profiles ?? home.path("Profiles"),
                dataset: dataset, workers: resolvedWorkers,
                mode: denseOnly ? .denseOnly : .controller, staticPlans: try staticPlans(), maxQueueDepth: maxQueueDepth,
                warmupIterations: warmupIterations, deadlineHeadroom: deadlineHeadroom, maxUtilization: maxUtilization, logger: logger),
            http: HTTPServerConfiguration(
                host: host, port: port, maxBodyBytes: maxBodyBytes, maxConnectionBodyBytes: maxConnectionBodyBytes,
                maxProcessBodyBytes: maxProcessBodyBytes, maxConnections: maxConnections,
                maxConnectionsPerClient: maxConnectionsPerClient,
                requestTimeout: .milliseconds(Int64((requestTimeout * 1000).rounded())),
                eventLoopThreads: eventLoops ?? Self.cores),
            operator: OperatorConfiguration(
                host: operatorHost, port: operatorPort, token: try operatorToken(), stateDirectory: stateDir,
                listens: !noOperator),
            health: healthPort.map {
                HTTPServerConfiguration(host: self.healthHost ?? self.host, port: $0, maxBodyBytes: 1024)
            },
            blasThreads: resolvedBLASThreads, idlePollers: idlePoll ? Self.cores : 0,
            metricsExposition: {
                process.update()
                return registry.emitToBuffer()
            }, modelControl: try resolvedModelControl(), logger: logger)

        let models = application.repository.loadedModels.map(\.name).joined(separator: ", ")
        let host = self.host
        let operatorHost = noOperator ? nil : self.operatorHost
        let healthHost = healthPort.map { _ in self.healthHost ?? host }
        // Scripts and tests wait for these lines (with port 0 they are the only way to learn the ports).
        let announcement = Task {
            let port = try await application.listeningPort()
            var lines = "zenith: serving \(models) on http://\(host):\(port)\n"
            if let operatorHost {
                let operatorPort = try await application.operatorListeningPort()
                lines += "zenith: operator API on http://\(operatorHost):\(operatorPort)\n"
            }
            if let healthHost {
                let healthPort = try await application.healthListeningPort()
                lines += "zenith: health on http://\(healthHost):\(healthPort)\n"
            }
            FileHandle.standardOutput.write(Data(lines.utf8))
        }
        defer { announcement.cancel() }
        try await application.run()
    }

    /// The operator API's token: `--operator-token-file`'s trimmed content, else
    /// `$ZENITH_OPERATOR_TOKEN`'s; `nil` (an open API) without either.
    /// `--model-control explicit` behind the operator token when there is one.
    /// `--static-plan MODEL=PLAN` values by model.
    private func staticPlans() throws -> [String: String] {
        var plans: [String: String] = [:]
        for value in staticPlan {
            let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--static-plan takes MODEL=PLAN, e.g. fashion-cnn=exit1-only (got '\(value)')")
            }
            guard plans.updateValue(parts[1], forKey: parts[0]) == nil else {
                throw ValidationError("--static-plan names model '\(parts[0])' twice")
            }
        }
        return plans
    }

    private func resolvedModelControl() throws -> ModelControl {
        guard modelControl == "explicit" else { return .none }
        return try operatorToken().map(ModelControl.token) ?? .explicit
    }

    private func operatorToken() throws -> String? {
        if let operatorTokenFile {
            let content: String
            do {
                content = try String(contentsOfFile: operatorTokenFile, encoding: .utf8)
            } catch {
                throw ValidationError(
                    "--operator-token-file \(operatorTokenFile): cannot be read: \(error.localizedDescription)")
            }
            let token = content.trimmingCharacters(in: .whitespacesAndNewlines)
            // An empty file must not silently leave the API open.
            guard !token.isEmpty else { throw ValidationError("--operator-token-file \(operatorTokenFile) is empty") }
            return token
        }
        let token = ProcessInfo.processInfo.environment["ZENITH_OPERATOR_TOKEN"]?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return token?.isEmpty == false ? token : nil
    }
}
