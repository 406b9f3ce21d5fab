import Logging
public import ZenithHTTP

/// Runs ZenithHTTP's server with `handler` on an ephemeral loopback port for the duration of
/// `body`, then shuts it down gracefully and checks that `run()` returned.
public func withLoopbackServer(
    _ configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
    handler: some HTTPHandler,
    _ body: (_ port: Int, _ server: HTTPServer) async throws -> Void
) async throws {
    var configuration = configuration
    configuration.host = "127.0.0.1"
    configuration.port = 0
    let logger = Logger(label: "zenith.tests", factory: { _ in SwiftLogNoOpLogHandler() })
    let server = HTTPServer(configuration: configuration, handler: handler, logger: logger)
    let running = Task { try await server.run() }
    do {
        let port = try await server.listeningPort()
        try await body(port, server)
    } catch {
        server.triggerGracefulShutdown()
        _ = try? await running.value
        throw error
    }
    server.triggerGracefulShutdown()
    try await running.value
}
