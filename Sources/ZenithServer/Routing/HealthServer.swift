public import ZenithHTTP

/// The health listener's handler: liveness, readiness and metrics, and nothing else.
///
/// It runs on the health listener's own event loop thread (`--health-port`), which no inference
/// request is decoded on, so a probe is answered at once however busy the data port's loops are:
/// a liveness probe that waits behind a flood of large bodies would have the orchestrator kill a
/// server that is only busy. Every answer is computed in place; nothing here awaits.
public struct HealthServer: HTTPHandler {
    let repository: ModelRepository
    let metricsExposition: (@Sendable () -> [UInt8])?

    /// - Parameters:
    ///   - repository: whose readiness `/v2/health/ready` reports.
    ///   - metricsExposition: renders `GET /metrics`; without it the path is 404.
    public init(repository: ModelRepository, metricsExposition: (@Sendable () -> [UInt8])?) {
        self.repository = repository
        self.metricsExposition = metricsExposition
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        switch Route.match(method: request.method, path: request.pathWithoutQuery) {
        case .success(.live):
            return InferenceServer.live
        case .success(.ready):
            return repository.isReady ? InferenceServer.ready : InferenceServer.notReady
        case .success(.metrics):
            return InferenceServer.metrics(metricsExposition)
        case .failure(.methodNotAllowed(let allowed)) where Self.serves(request.pathWithoutQuery):
            return Route.MatchError.methodNotAllowed(allowed: allowed).requestError.response
        case .success, .failure:
            return RequestError.notFound(
                "the health port serves only /v2/health/live, /v2/health/ready and /metrics").response
        }
    }

    /// Whether `path` is one this listener answers (with GET or HEAD).
    private static func serves(_ path: Substring) -> Bool {
        switch Route.match(method: "GET", path: path) {
        case .success(.live), .success(.ready), .success(.metrics): true
        default: false
        }
    }
}
