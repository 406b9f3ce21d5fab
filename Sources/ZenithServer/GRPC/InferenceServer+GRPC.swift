import Logging
import SwiftProtobuf
import ZenithControl
import ZenithGRPC
import ZenithHTTP

/// The KServe v2 gRPC protocol (`inference.GRPCInferenceService`, as Triton serves it) on the REST
/// port: a request whose content type is `application/grpc` is a unary call, answered with the
/// same logic as its REST counterpart.
extension InferenceServer {
    /// Whether `request` is a gRPC call: its content type is `application/grpc`, alone, with a
    /// subtype (`application/grpc+proto`) or with parameters.
    static func isGRPC(_ request: HTTPRequest) -> Bool {
        guard let type = request.headers["content-type"]?.utf8 else { return false }
        let prefix = "application/grpc".utf8
        guard type.starts(with: prefix) else { return false }
        let next = type.dropFirst(prefix.count).first
        return next == nil || next == UInt8(ascii: "+") || next == UInt8(ascii: ";")
    }

    /// Answers a gRPC call. Every error is a gRPC status in a trailers-only response, except over
    /// HTTP/1.1, where gRPC cannot run: that is a 505. (The transport's own refusals, such as a
    /// body over the limit, stay HTTP errors, which gRPC clients turn into codes themselves.)
    func grpc(_ request: HTTPRequest, arrival: Instant, log: inout Logger.Metadata?) async -> HTTPResponse {
        guard request.version == .http2 else {
            return RequestError(
                status: 505,
                message: "gRPC needs HTTP/2; connect with HTTP/2 over cleartext (h2c, prior knowledge) to this port"
            ).response
        }
        let response: HTTPResponse
        do {
            response = try await call(request, arrival: arrival, log: &log)
        } catch {
            response = .grpc(error)
        }
        if log != nil, let status = GRPCStatus(response: response) {
            log?["grpc_status"] = .stringConvertible(status.code.rawValue)
        }
        return response
    }

    private func call(
        _ request: HTTPRequest, arrival: Instant, log: inout Logger.Metadata?
    ) async throws(GRPCStatus) -> HTTPResponse {
        if let type = request.headers["content-type"], type != HTTPResponse.grpcContentType,
            !type.hasPrefix("application/grpc+proto"), !type.hasPrefix("application/grpc;")
        {
            throw GRPCStatus(.unimplemented, "content-type '\(type.prefix(60))' is not served; use application/grpc")
        }
        guard request.method == "POST" else {
            throw GRPCStatus(.unimplemented, "a gRPC call is a POST, not \(request.method.prefix(20))")
        }
        let method = try GRPCMethod.match(path: request.pathWithoutQuery)
        log?["grpc_method"] = "\(method.rawValue)"
        let message: ArraySlice<UInt8>
        do {
            message = try GRPCFraming.unaryMessage(in: request.body)
        } catch {
            throw error.status(encoding: request.headers["grpc-encoding"])
        }

        switch method {
        case .serverLive:
            _ = try Self.parse(Inference_ServerLiveRequest.self, message)
            var response = Inference_ServerLiveResponse()
            response.live = true
            return .grpc(response)
        case .serverReady:
            _ = try Self.parse(Inference_ServerReadyRequest.self, message)
            var response = Inference_ServerReadyResponse()
            response.ready = repository.isReady
            return .grpc(response)
        case .serverMetadata:
            _ = try Self.parse(Inference_ServerMetadataRequest.self, message)
            return .grpc(ServerMetadata.grpc)
        case .modelReady:
            let asked = try Self.parse(Inference_ModelReadyRequest.self, message)
            // As Triton: a model that is unknown, not loaded or of another version is not ready.
            var response = Inference_ModelReadyResponse()
            if case .success = lookup(try Self.reference(asked.name, asked.version)) { response.ready = true }
            return .grpc(response)
        case .modelMetadata:
            let asked = try Self.parse(Inference_ModelMetadataRequest.self, message)
            return .grpc(ModelMetadata.grpcMetadata(try model(asked.name, asked.version).model.config))
        case .modelConfig:
            let asked = try Self.parse(Inference_ModelConfigRequest.self, message)
            let loaded = try model(asked.name, asked.version)
            var response = Inference_ModelConfigResponse()
            response.config = ModelMetadata.grpcConfig(loaded.model.config, snapshot: loaded.scheduler.snapshot)
            return .grpc(response)
        case .modelStatistics:
            let asked = try Self.parse(Inference_ModelStatisticsRequest.self, message)
            // No name: every loaded model, as REST's GET /v2/models/stats.
            let models = asked.name.isEmpty ? repository.loadedModels : [try model(asked.name, asked.version)]
            var response = Inference_ModelStatisticsResponse()
            response.modelStats = models.map { $0.statistics.grpc(name: $0.name, version: $0.version) }
            return .grpc(response)
        case .repositoryIndex:
            let asked = try Self.parse(Inference_RepositoryIndexRequest.self, message)
            var response = Inference_RepositoryIndexResponse()
            response.models = repository.index().filter { !asked.ready || $0.state == .ready }.map(\.grpc)
            return .grpc(response)
        case .repositoryModelLoad:
            let asked = try Self.parse(Inference_RepositoryModelLoadRequest.self, message)
            try Self.refuseLoadParameters(asked.parameters.keys)
            log?["model"] = "\(asked.modelName)"
            try checkModelControl(request)
            try Self.check(await repository.load(asked.modelName))
            return .grpc(Inference_RepositoryModelLoadResponse())
        case .repositoryModelUnload:
            let asked = try Self.parse(Inference_RepositoryModelUnloadRequest.self, message)
            try Self.refuseLoadParameters(asked.parameters.keys)
            log?["model"] = "\(asked.modelName)"
            try checkModelControl(request)
            try Self.check(await repository.unload(asked.modelName))
            return .grpc(Inference_RepositoryModelUnloadResponse())
        case .modelInfer:
            let asked = try Self.parse(Inference_ModelInferRequest.self, message)
            log?["model"] = "\(asked.modelName)"
            return await infer(try model(asked.modelName, asked.modelVersion), asked, request, arrival, &log)
        }
    }

    /// `ModelInfer`: REST's inference path with gRPC's codec; the errors map to gRPC codes.
    private func infer(
        _ loaded: LoadedModel, _ message: Inference_ModelInferRequest, _ request: HTTPRequest, _ arrival: Instant,
        _ log: inout Logger.Metadata?
    ) async -> HTTPResponse {
        await infer(
            loaded, arrival: arrival, log: &log,
            decode: { () throws(RequestError) in
                try loaded.decoder.decode(
                    message, headers: request.headers, deadlineMs: try GRPCTimeout.milliseconds(in: request.headers))
            },
            encode: { decoded, result, totalNanos, targetNanos in
                .grpc(
                    loaded.encoder.grpcResponse(
                        decoded, result: result, totalNanos: totalNanos, latencyTargetNanos: targetNanos))
            },
            invalid: { .grpc(GRPCStatus($0)) }, failed: { .grpc(GRPCStatus($0)) })
    }

    /// The loaded model a request names, or NOT_FOUND saying why there is none.
    private func model(_ name: String, _ version: String) throws(GRPCStatus) -> LoadedModel {
        switch lookup(try Self.reference(name, version)) {
        case .success(let loaded): return loaded
        case .failure(let error): throw GRPCStatus(error)
        }
    }

    private static func reference(_ name: String, _ version: String) throws(GRPCStatus) -> Route.ModelReference {
        guard !name.isEmpty else { throw GRPCStatus(.invalidArgument, "the model name is empty") }
        return Route.ModelReference(name: name, version: version.isEmpty ? nil : version)
    }

    /// The request message, or INVALID_ARGUMENT when its bytes are not one.
    private static func parse<M: SwiftProtobuf.Message>(_ type: M.Type, _ bytes: ArraySlice<UInt8>) throws(GRPCStatus)
        -> M
    {
        do {
            return try M(serializedBytes: bytes.span.bytes)
        } catch {
            throw GRPCStatus(.invalidArgument, "the request is not a valid \(M.protoMessageName) message: \(error)")
        }
    }

    /// Load and unload as `modelControl` allows (the token travels in the `authorization` metadata).
    private func checkModelControl(_ request: HTTPRequest) throws(GRPCStatus) {
        if let refusal = modelControl.refusal(authorization: request.headers["authorization"]) {
            throw GRPCStatus(refusal)
        }
    }

    private static func check(_ outcome: Result<Void, RequestError>) throws(GRPCStatus) {
        if case .failure(let error) = outcome { throw GRPCStatus(error) }
    }

    /// Zenith loads models from its repository only: a config or files sent with a load are
    /// refused. Other parameters (`unload_dependents`: Zenith has no ensembles) change nothing.
    private static func refuseLoadParameters(_ keys: some Collection<String>) throws(GRPCStatus) {
        guard let key = keys.filter({ $0 == "config" || $0.hasPrefix("file:") }).min() else { return }
        throw GRPCStatus(
            .invalidArgument,
            "parameter '\(key.prefix(40))' is not supported; models load from the repository as they are")
    }
}
