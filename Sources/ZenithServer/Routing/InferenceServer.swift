public import Logging
import ZenithControl
public import ZenithHTTP
import ZenithJSON

/// The Open Inference Protocol over the transport: routes each request and answers it, over REST
/// or, for a request whose content type is `application/grpc`, over gRPC (InferenceServer+GRPC).
///
/// Handlers start on a connection's event loop; everything here either answers at once or
/// awaits the model's scheduler, whose executors run on their own threads.
public struct InferenceServer: HTTPHandler {
    let repository: ModelRepository
    let metricsExposition: (@Sendable () -> [UInt8])?
    let modelControl: ModelControl
    let logger: Logger
    let clock = MonotonicClock()

    /// - Parameters:
    ///   - repository: the models.
    ///   - metricsExposition: renders `GET /metrics` (the executable's Prometheus registry);
    ///     without it the path is 404.
    ///   - modelControl: who may load and unload models.
    ///   - logger: one debug line per request.
    public init(
        repository: ModelRepository, metricsExposition: (@Sendable () -> [UInt8])?, modelControl: ModelControl = .none,
        logger: Logger
    ) {
        self.repository = repository
        self.metricsExposition = metricsExposition
        self.modelControl = modelControl
        self.logger = logger
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        // Stamped by the transport when the headers were complete: time spent waiting for the
        // body, for a busy event loop or for this task counts toward the request's latency.
        let arrival = request.receivedNanos.map(Instant.init(nanoseconds:)) ?? clock.now()
        // Only built when a debug line will be written: interpolating it costs more than routing.
        var log: Logger.Metadata? = logger.logLevel <= .debug ? [:] : nil
        let response: HTTPResponse
        if Self.isGRPC(request) {
            // KServe v2 over gRPC, told apart by its content type on the same port.
            response = await grpc(request, arrival: arrival, log: &log)
        } else {
            switch Route.match(method: request.method, path: request.pathWithoutQuery) {
            case .failure(let error):
                response = error.requestError.response
            case .success(let route):
                response = await respond(to: route, request: request, arrival: arrival, log: &log)
            }
        }
        log?["status"] = .stringConvertible(response.status)
        log?["total_us"] = .stringConvertible(clock.now().nanoseconds(since: arrival) / 1_000)
        if let log { logger.debug("\(request.method) \(request.path) \(request.version)", metadata: log) }
        return response
    }

    private func respond(to route: Route, request: HTTPRequest, arrival: Instant, log: inout Logger.Metadata?) async
        -> HTTPResponse
    {
        switch route {
        case .serverMetadata:
            return .json(ServerMetadata.json)
        case .live:
            return Self.live
        case .ready:
            return repository.isReady ? Self.ready : Self.notReady
        case .metrics:
            return Self.metrics(metricsExposition)
        case .modelMetadata(let reference):
            return withModel(reference) { .json(ModelMetadata.metadata($0.model.config)) }
        case .modelReady(let reference):
            return modelReady(reference)
        case .modelConfig(let reference):
            return withModel(reference) {
                .json(ModelMetadata.config($0.model.config, snapshot: $0.scheduler.snapshot))
            }
        case .modelStatistics(let reference):
            return statistics(reference)
        case .infer(let reference):
            log?["model"] = "\(reference.name)"
            return await infer(reference, request: request, arrival: arrival, log: &log)
        case .repositoryIndex:
            return .json(.array(repository.index().map(\.json)))
        case .load(let name):
            log?["model"] = "\(name)"
            if let refusal = modelControl.refusal(authorization: request.headers["authorization"]) { return refusal.response }
            return result(await repository.load(name))
        case .unload(let name):
            log?["model"] = "\(name)"
            if let refusal = modelControl.refusal(authorization: request.headers["authorization"]) { return refusal.response }
            return result(await repository.unload(name))
        }
    }

    // Health checks are polled hard (load balancers, benchmarks): their answers are made once.
    static let live = HTTPResponse.json(["live": true])
    static let ready = HTTPResponse.json(["ready": true])
    static let notReady = HTTPResponse.json(["ready": false], status: 503)

    /// `GET /metrics`' answer: the exposition, or 404 when metrics are not enabled.
    static func metrics(_ exposition: (@Sendable () -> [UInt8])?) -> HTTPResponse {
        guard let exposition else { return RequestError.notFound("metrics are not enabled").response }
        return HTTPResponse(
            status: 200, headers: ["content-type": "text/plain; version=0.0.4; charset=utf-8"], body: exposition())
    }

    /// The loaded model a path names, or the 404 that says why there is none.
    func lookup(_ reference: Route.ModelReference) -> Result<LoadedModel, RequestError> {
        guard let loaded = repository.model(named: reference.name) else {
            return .failure(
                repository.state(of: reference.name) == nil
                    ? .notFound("unknown model '\(reference.name)'")
                    : .notFound("model '\(reference.name)' is not loaded"))
        }
        if let version = reference.version, version != loaded.version {
            return .failure(
                .notFound("model '\(reference.name)' has no version '\(version)'; it has '\(loaded.version)'"))
        }
        return .success(loaded)
    }

    private func withModel(_ reference: Route.ModelReference, _ body: (LoadedModel) -> HTTPResponse) -> HTTPResponse {
        switch lookup(reference) {
        case .success(let loaded): body(loaded)
        case .failure(let error): error.response
        }
    }

    /// 200 when ready; a known model that is not loaded is 400 (KServe: any 4xx means "not ready").
    private func modelReady(_ reference: Route.ModelReference) -> HTTPResponse {
        switch lookup(reference) {
        case .success(let loaded):
            return .json(["name": .string(loaded.name), "ready": true])
        case .failure(let error):
            guard repository.state(of: reference.name) != nil, reference.version == nil else { return error.response }
            return RequestError.badRequest("model '\(reference.name)' is not ready").response
        }
    }

    private func statistics(_ reference: Route.ModelReference?) -> HTTPResponse {
        let models: [LoadedModel]
        if let reference {
            switch lookup(reference) {
            case .success(let loaded): models = [loaded]
            case .failure(let error): return error.response
            }
        } else {
            models = repository.loadedModels
        }
        return .json(["model_stats": .array(models.map { $0.statistics.json(name: $0.name, version: $0.version) })])
    }

    private func result(_ outcome: Result<Void, RequestError>) -> HTTPResponse {
        switch outcome {
        case .success: .json(.object(JSONObject()))
        case .failure(let error): error.response
        }
    }
}

extension HTTPResponse {
    /// A JSON response written by json-c.
    static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: ["content-type": "application/json"], body: value.serializedBytes())
    }
}

extension ModelRepository.IndexEntry {
    /// A row of `POST /v2/repository/index`, as Triton writes it.
    var json: JSONValue {
        var object: JSONObject = ["name": .string(name)]
        if let version { object["version"] = .string(version) }
        object["state"] = .string(state.rawValue)
        if let reason { object["reason"] = .string(reason) }
        return .object(object)
    }
}
