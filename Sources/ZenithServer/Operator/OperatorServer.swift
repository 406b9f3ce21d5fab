public import Logging
import ZenithControl
public import ZenithHTTP
import ZenithJSON

/// The operator API (extension `slo`): reads and sets each model's default and per-class targets
/// and infeasible policy at run time, and reports the last seconds' figures. `sloctl` is its
/// client. It is served on a listener of its own (`OperatorConfiguration`), never on the data port.
///
/// When a token is configured every request, whatever its path, must carry it as
/// `Authorization: Bearer <token>`; others get 401 before anything else is looked at.
public struct OperatorServer: HTTPHandler {
    let repository: ModelRepository
    let token: BearerToken?
    let logger: Logger
    let clock = MonotonicClock()

    /// - Parameters:
    ///   - repository: the models, and through it the targets' state store.
    ///   - token: the bearer token every request must carry; `nil` or empty leaves the API open.
    ///   - logger: one debug line per request, one info line per change.
    public init(repository: ModelRepository, token: String?, logger: Logger) {
        self.repository = repository
        self.token = token.flatMap(BearerToken.init)
        self.logger = logger
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let start = clock.now()
        let response: HTTPResponse
        if let token, !token.authorizes(request.headers["authorization"]) {
            response = Self.unauthorized
        } else {
            switch OperatorRoute.match(method: request.method, path: request.pathWithoutQuery) {
            case .failure(let error): response = error.requestError.response
            case .success(let route): response = await respond(to: route, body: request.body)
            }
        }
        logger.debug(
            "operator \(request.method) \(request.path) \(request.version)",
            metadata: ["status": "\(response.status)", "us": "\(clock.now().nanoseconds(since: start) / 1_000)"])
        return response
    }

    private func respond(to route: OperatorRoute, body: [UInt8]) async -> HTTPResponse {
        switch route {
        case .serverMetadata:
            return .json(ServerMetadata.json)
        case .models:
            return .json(["models": .array(repository.loadedModels.map { ModelSLO($0).json })])
        case .status:
            return .json(
                [
                    "window_seconds": JSONValue(RecentWindow.seconds),
                    "models": .array(repository.loadedModels.map { ModelStatus($0).json }),
                ])
        case .model(let name):
            return withModel(name) { .json(ModelSLO($0).json) }
        case .update(let name):
            return await update(name, body: body)
        case .deleteClass(let name, let sloClass):
            return await deleteClass(sloClass, of: name)
        }
    }

    static let unauthorized: HTTPResponse = {
        var response = RequestError(
            status: 401, message: "this operator API needs 'Authorization: Bearer <token>' with the configured token"
        ).response
        response.headers.append(name: "www-authenticate", value: "Bearer")
        return response
    }()

    /// The loaded model called `name`, or the 404 that says why there is none.
    func lookup(_ name: String) -> Result<LoadedModel, RequestError> {
        if let loaded = repository.model(named: name) { return .success(loaded) }
        return .failure(
            repository.state(of: name) == nil
                ? .notFound("unknown model '\(name)'") : .notFound("model '\(name)' is not loaded"))
    }

    private func withModel(_ name: String, _ body: (LoadedModel) -> HTTPResponse) -> HTTPResponse {
        switch lookup(name) {
        case .success(let loaded): body(loaded)
        case .failure(let error): error.response
        }
    }
}
