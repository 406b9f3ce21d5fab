public import Logging
import ServiceLifecycle
public import UnixSignals
import ZenithExecutor
public import ZenithHTTP

/// `zenith serve` assembled: the model repository, the Open Inference Protocol handler and the
/// HTTP server, run in one `ServiceGroup` (ARCHITECTURE.md §5: the composition root).
///
/// `init` loads every model before anything listens, so once the port is open every model is
/// ready. Graceful shutdown (SIGTERM/SIGINT, or `triggerGracefulShutdown()`) stops the HTTP
/// server first — it stops accepting and answers what is in flight — then the repository stops
/// the executor threads.
public final class ZenithApplication: Sendable {
    public let repository: ModelRepository
    public let server: HTTPServer
    private let group: ServiceGroup

    /// Loads the models and prepares the services; nothing listens until `run()`.
    ///
    /// - Parameters:
    ///   - repository: where models come from and how they are scheduled.
    ///   - http: address, port and transport limits.
    ///   - blasThreads: OpenBLAS threads (process-wide); `workers × blasThreads` should not exceed the cores.
    ///   - signals: signals that start graceful shutdown; none in tests.
    ///   - metricsExposition: renders `GET /metrics`; `nil` leaves it 404.
    ///   - logger: the server's logger. The transport gets a copy at `info` or above (its own
    ///     per-request line would repeat the router's) unless this one is at `trace`.
    public init(
        repository options: ModelRepositoryOptions, http: HTTPServerConfiguration, blasThreads: Int,
        signals: [UnixSignal] = [.sigterm, .sigint], metricsExposition: (@Sendable () -> [UInt8])?, logger: Logger
    ) async throws {
        BLAS.setThreadCount(blasThreads)
        let repository = ModelRepository(options: options)
        try await repository.loadAll()
        var transportLogger = logger
        if logger.logLevel > .trace { transportLogger.logLevel = max(logger.logLevel, .info) }
        let handler = InferenceServer(repository: repository, metricsExposition: metricsExposition, logger: logger)
        let server = HTTPServer(configuration: http, handler: handler, logger: transportLogger)
        self.repository = repository
        self.server = server
        // Services shut down in reverse order: the HTTP server drains before the models stop.
        group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: repository), .init(service: server)],
                gracefulShutdownSignals: signals, logger: logger))
    }

    /// Serves until graceful shutdown.
    public func run() async throws {
        try await group.run()
    }

    /// The bound port, once listening.
    public func listeningPort() async throws -> Int {
        try await server.listeningPort()
    }

    /// Starts graceful shutdown, as SIGTERM would.
    public func triggerGracefulShutdown() async {
        await group.triggerGracefulShutdown()
    }
}
