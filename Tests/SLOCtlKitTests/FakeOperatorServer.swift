import Foundation
import Logging
import SLOCtlKit
import NIOConcurrencyHelpers
import Testing
import ZenithHTTP
import ZenithTestSupport
import ZenithJSON

/// An in-memory operator API that follows the operator API spec closely enough for `sloctl`:
/// the routes, the bodies, the 400/401/404 errors with `{"error": ...}`. It records each request.
final class FakeOperatorHandler: HTTPHandler {
    struct Targets: Sendable {
        var latency: Double
        var accuracy: Double
    }

    struct Model: Sendable {
        var name: String
        var mode: String
        var bestAccuracy: Double
        var defaults: Targets
        var classes: [String: Targets]
        var policy: String
        var attainment: Double?
    }

    struct Received: Sendable {
        var method: String
        var path: String
        var body: String
        var authorization: String?
        var version: HTTPVersion
    }

    private let token: String?
    private let models: NIOLockedValueBox<[String: Model]>
    private let log = NIOLockedValueBox<[Received]>([])

    init(token: String? = nil) {
        self.token = token
        self.models = NIOLockedValueBox(Dictionary(uniqueKeysWithValues: Self.sampleModels.map { ($0.name, $0) }))
    }

    /// The models a fresh handler serves.
    static let sampleModels: [Model] = [
            Model(
                name: "fashion-cnn", mode: "controller", bestAccuracy: 0.929,
                defaults: Targets(latency: 10, accuracy: 0.916), classes: ["gold": Targets(latency: 5, accuracy: 0.92)],
                policy: "reject", attainment: 0.995),
            Model(
                name: "fashion-mlp", mode: "dense_only", bestAccuracy: 0.887,
                defaults: Targets(latency: 4, accuracy: 0.85), classes: [:], policy: "best_effort", attainment: nil),
    ]

    var received: [Received] { self.log.withLockedValue { $0 } }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        self.log.withLockedValue {
            $0.append(
                Received(
                    method: request.method, path: request.path, body: String(decoding: request.body, as: UTF8.self),
                    authorization: request.headers["authorization"], version: request.version))
        }
        if let token = self.token, request.headers["authorization"] != "Bearer \(token)" {
            var response = HTTPResponse.jsonError(status: 401, message: "missing or wrong bearer token")
            response.headers.append(name: "www-authenticate", value: "Bearer")
            return response
        }
        let segments = request.pathWithoutQuery.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        switch (request.method, segments) {
        case ("GET", ["v2", "slo"]):
            let all = self.models.withLockedValue { $0.values.sorted { $0.name < $1.name } }
            return Self.json(["models": .array(all.map(Self.modelSLO))])
        case ("GET", ["v2", "slo", "status"]):
            return Self.json(Self.status)
        case ("GET", let path) where path.count == 4 && path.starts(with: ["v2", "slo", "models"]):
            guard let model = self.models.withLockedValue({ $0[path[3]] }) else { return Self.unknown(path[3]) }
            return Self.json(Self.modelSLO(model))
        case ("POST", let path) where path.count == 4 && path.starts(with: ["v2", "slo", "models"]):
            return self.update(model: path[3], body: request.body)
        case ("DELETE", let path) where path.count == 6 && path.starts(with: ["v2", "slo", "models"]) && path[4] == "classes":
            return self.models.withLockedValue { models in
                guard var model = models[path[3]] else { return Self.unknown(path[3]) }
                guard model.classes.removeValue(forKey: path[5]) != nil else {
                    return HTTPResponse.jsonError(status: 404, message: "model \(path[3]) has no class \"\(path[5])\"")
                }
                models[path[3]] = model
                return Self.json(Self.modelSLO(model))
            }
        default:
            return HTTPResponse.jsonError(status: 404, message: "no route for \(request.method) \(request.path)")
        }
    }

    private func update(model name: String, body: [UInt8]) -> HTTPResponse {
        guard let json = try? JSONValue(parsing: body), let object = json.objectValue else {
            return HTTPResponse.jsonError(status: 400, message: "the body is not a JSON object")
        }
        let known: Set = ["latency_target_ms", "accuracy_target", "class", "infeasible_policy"]
        if let unknown = object.keys.first(where: { !known.contains($0) }) {
            return HTTPResponse.jsonError(status: 400, message: "unknown field \"\(unknown)\"")
        }
        return self.models.withLockedValue { models in
            guard var model = models[name] else { return Self.unknown(name) }
            let latency = object["latency_target_ms"]?.doubleValue
            let accuracy = object["accuracy_target"]?.doubleValue
            if let latency, !(latency > 0 && latency.isFinite) {
                return HTTPResponse.jsonError(status: 400, message: "latency_target_ms must be positive")
            }
            if let accuracy, accuracy > model.bestAccuracy {
                return HTTPResponse.jsonError(
                    status: 400,
                    message: "accuracy_target \(accuracy) is above the best plan accuracy \(model.bestAccuracy)")
            }
            if let policy = object["infeasible_policy"]?.stringValue { model.policy = policy }
            if let sloClass = object["class"]?.stringValue {
                var targets = model.classes[sloClass] ?? model.defaults
                if let latency { targets.latency = latency }
                if let accuracy { targets.accuracy = accuracy }
                model.classes[sloClass] = targets
            } else {
                if let latency { model.defaults.latency = latency }
                if let accuracy { model.defaults.accuracy = accuracy }
            }
            models[name] = model
            return Self.json(Self.modelSLO(model))
        }
    }

    static func modelSLO(_ model: Model) -> JSONValue {
        var classes = JSONObject()
        for (name, targets) in model.classes.sorted(by: { $0.key < $1.key }) {
            classes[name] = ["latency_target_ms": .double(targets.latency), "accuracy_target": .double(targets.accuracy)]
        }
        return [
            "model": .string(model.name), "mode": .string(model.mode), "best_accuracy": .double(model.bestAccuracy),
            "default": [
                "latency_target_ms": .double(model.defaults.latency), "accuracy_target": .double(model.defaults.accuracy),
            ],
            "classes": .object(classes), "infeasible_policy": .string(model.policy),
            "attainment": model.attainment.map(JSONValue.double) ?? .null,
        ]
    }

    static let status: JSONValue = [
        "window_seconds": 10,
        "models": [
            [
                "model": "fashion-cnn", "mode": "controller", "requests_per_second": 812.4, "p50_ms": 2.1,
                "p99_ms": 8.7, "attainment": 0.995, "plan_mix": ["dense": 0.62, "exit-filters-25": 0.38],
                "queue_depth": 3, "inflight": 5, "arrival_samples_per_second": 6499.2, "worker_cores": 0.62,
                "rejects": ["slo_infeasible": 12, "queue_full": 0],
            ],
            [
                "model": "fashion-mlp", "mode": "dense_only", "requests_per_second": 0, "p50_ms": nil, "p99_ms": nil,
                "attainment": nil, "plan_mix": [:], "queue_depth": 0, "inflight": 0,
                "rejects": ["slo_infeasible": 0, "queue_full": 0],
            ],
        ],
    ]

    private static func json(_ value: JSONValue) -> HTTPResponse {
        HTTPResponse(status: 200, headers: ["content-type": "application/json"], body: Array(value.serialized().utf8))
    }

    private static func unknown(_ model: String) -> HTTPResponse {
        HTTPResponse.jsonError(status: 404, message: "unknown model \"\(model)\"")
    }
}

/// Runs a ``FakeOperatorHandler`` on ZenithHTTP's server on a loopback port for `body`.
func withFakeOperator(
    token: String? = nil, _ body: (_ endpoint: String, _ handler: FakeOperatorHandler) async throws -> Void
) async throws {
    let handler = FakeOperatorHandler(token: token)
    try await withLoopbackServer(handler: handler) { port, _ in try await body("http://127.0.0.1:\(port)", handler) }
}
