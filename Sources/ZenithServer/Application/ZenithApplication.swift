public import Logging
import ServiceLifecycle
public import UnixSignals
import ZenithExecutor
public import ZenithHTTP

/// `zenith serve` assembled: the model repository, the Open Inference Protocol handler and the
/// HTTP server, and optionally the operator API's listener, run in one `ServiceGroup`
/// (ARCHITECTURE.md §5: the composition root).
///
/// `init` reads the operator's state file and loads every model before anything listens, so once
/// the port is open every model is ready with its targets. Graceful shutdown (SIGTERM/SIGINT, or
/// `triggerGracefulShutdown()`) stops the HTTP servers first — they stop accepting and answer
/// what is in flight — then the repository stops the executor threads.
public final class ZenithApplication: Sendable {
    public let repository: ModelRepository
    public let server: HTTPServer
    /// The operator API's listener; `nil` without one.
    public let operatorServer: HTTPServer?
    /// The health listener (liveness, readiness, metrics on its own thread); `nil` without one.
    public let healthServer: HTTPServer?
    private let group: ServiceGroup

    /// `operatorListeningPort()` of an application without the operator listener.
    public struct NoOperatorListenerError: Error, CustomStringConvertible {
        public var description: String { "the operator API is not enabled" }
    }

    /// `healthListeningPort()` of an application without the health listener.
    public struct NoHealthListenerError: Error, CustomStringConvertible {
        public var description: String { "the health listener is not enabled" }
    }

    /// Loads the models and prepares the services; nothing listens until `run()`.
    ///
    /// - Parameters:
    ///   - repository: where models come from and how they are scheduled.
    ///   - http: address, port and transport limits.
    ///   - operator: the operator API's listener and state directory; `nil` for neither.
    ///   - health: where the health listener binds (`HealthServer`, on one event loop thread of
    ///     its own whatever the configuration says); `nil` for none.
    ///   - blasThreads: OpenBLAS threads (process-wide); `workers × blasThreads` should not exceed the cores.
    ///   - idlePollers: threads keeping the cores from idling (`IdlePoller`); 0 for none.
    ///   - signals: signals that start graceful shutdown; none in tests.
    ///   - metricsExposition: renders `GET /metrics`; `nil` leaves it 404.
    ///   - modelControl: who may load and unload models through the data port.
    ///   - logger: the server's logger. The transport gets a copy at `info` or above (its own
    ///     per-request line would repeat the router's) unless this one is at `trace`.
    public init(
        repository options: ModelRepositoryOptions, http: HTTPServerConfiguration,
        operator operatorConfiguration: OperatorConfiguration? = nil, health: HTTPServerConfiguration? = nil,
        blasThreads: Int,
        idlePollers: Int = 0,
        signals: [UnixSignal] = [.sigterm, .sigint], metricsExposition: (@Sendable () -> [UInt8])?,
        modelControl: ModelControl = .none, logger: Logger
    ) async throws {
        // A bad state file stops the start before seconds of model loading are spent.
        let targets = try operatorConfiguration?.stateDirectory.map { directory throws(StateFileError) in
            try SLOStateStore(directory: directory)
        } ?? SLOStateStore()
        BLAS.setThreadCount(blasThreads)
        let repository = ModelRepository(options: options, targets: targets)
        try await repository.loadAll()
        var transportLogger = logger
        if logger.logLevel > .trace { transportLogger.logLevel = max(logger.logLevel, .info) }
        let handler = InferenceServer(
            repository: repository, metricsExposition: metricsExposition, modelControl: modelControl, logger: logger)
        let server = HTTPServer(configuration: http, handler: handler, logger: transportLogger)
        var operatorServer: HTTPServer?
        if let operatorConfiguration, operatorConfiguration.listens {
            let loopback = ["127.0.0.1", "::1", "localhost"].contains(operatorConfiguration.host)
            if operatorConfiguration.token == nil, !loopback {
                logger.warning(
                    "the operator API listens beyond loopback without a token: whoever reaches it can change targets",
                    metadata: ["host": "\(operatorConfiguration.host)"])
            }
            operatorServer = HTTPServer(
                configuration: operatorConfiguration.http,
                handler: OperatorServer(repository: repository, token: operatorConfiguration.token, logger: logger),
                logger: transportLogger)
        }
        let healthServer = health.map { configuration in
            var configuration = configuration
            configuration.eventLoopThreads = 1
            return HTTPServer(
                configuration: configuration,
                handler: HealthServer(repository: repository, metricsExposition: metricsExposition),
                logger: transportLogger)
        }
        self.repository = repository
        self.server = server
        self.operatorServer = operatorServer
        self.healthServer = healthServer
        // Services shut down in reverse order: the HTTP servers drain before the models stop.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: repository), .init(service: server),
        ]
        if idlePollers > 0 {
            services.insert(
                .init(service: IdlePoller(threads: idlePollers, cpuTime: options.idleCPU, logger: logger)), at: 0)
        }
        if let operatorServer { services.append(.init(service: operatorServer)) }
        // Last, so it shuts down first: probes stop answering before the data port drains,
        // and the orchestrator stops sending traffic.
        if let healthServer { services.append(.init(service: healthServer)) }
        group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: signals, logger: logger))
    }

    /// Serves until graceful shutdown.
    public func run() async throws {
        try await group.run()
    }

    /// The bound port, once listening.
    public func listeningPort() async throws -> Int {
        try await server.listeningPort()
    }

    /// The operator API's bound port, once listening.
    /// - Throws: `NoOperatorListenerError` when the application has no operator listener.
    public func operatorListeningPort() async throws -> Int {
        guard let operatorServer else { throw NoOperatorListenerError() }
        return try await operatorServer.listeningPort()
    }

    /// The health listener's bound port, once listening.
    /// - Throws: `NoHealthListenerError` when the application has no health listener.
    public func healthListeningPort() async throws -> Int {
        guard let healthServer else { throw NoHealthListenerError() }
        return try await healthServer.listeningPort()
    }

    /// Starts graceful shutdown, as SIGTERM would.
    public func triggerGracefulShutdown() async {
        await group.triggerGracefulShutdown()
    }
}
