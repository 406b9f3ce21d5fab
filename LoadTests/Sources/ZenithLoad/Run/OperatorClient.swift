import NIOCore
import ZenithHTTP
import ZenithJSON

/// Calls the operator API (`POST /v2/slo/models/{m}`) for timed `set-target` actions.
public struct OperatorClient: Sendable {
    /// The operator listener, or `nil` when the server has none (every call then fails with a
    /// clear message instead of the run stopping).
    public var endpoint: Endpoint?
    /// The bearer token, if the server wants one.
    public var token: String?

    /// Creates a client.
    public init(endpoint: Endpoint?, token: String? = nil) {
        self.endpoint = endpoint
        self.token = token
    }

    /// The JSON body of a set-target call.
    public static func body(
        latencyTargetMs: Double?, accuracyTarget: Double?, sloClass: String?, infeasiblePolicy: String?
    ) -> String {
        var object = JSONObject()
        if let latencyTargetMs { object["latency_target_ms"] = .double(latencyTargetMs) }
        if let accuracyTarget { object["accuracy_target"] = .double(accuracyTarget) }
        if let sloClass { object["class"] = .string(sloClass) }
        if let infeasiblePolicy { object["infeasible_policy"] = .string(infeasiblePolicy) }
        return JSONValue.object(object).serialized()
    }

    /// Sends one set-target call and reports what came back (never throws: failures are recorded).
    ///
    /// - Parameters:
    ///   - model: the model.
    ///   - body: from `body(...)`.
    ///   - atSeconds: when it was due (for the record).
    ///   - clock: the run's clock (for `doneSeconds`), if the run has started.
    func setTarget(model: String, body: String, atSeconds: Double, clock: LoadClock?) async -> ActionRecord {
        let done: @Sendable () -> Double? = { clock.map { Double($0.now()) / 1e9 } }
        guard let endpoint else {
            return ActionRecord(
                atSeconds: atSeconds, doneSeconds: done(), body: body, status: nil,
                message: "no operator API: the started server printed no 'zenith: operator API on' line, "
                    + "or --endpoint was given without --operator-endpoint")
        }
        var headers: HTTPHeaderList = ["content-type": "application/json"]
        if let token { headers.append(name: "authorization", value: "Bearer \(token)") }
        let request = HTTPRequest(
            method: "POST", path: "/v2/slo/models/\(model)", headers: headers, body: Array(body.utf8))
        do {
            let connection = try await HTTPClientConnection.connect(
                host: endpoint.host, port: endpoint.port, version: .http1_1)
            let response: HTTPResponse
            do {
                response = try await connection.execute(request, timeout: .seconds(5))
            } catch {
                await connection.close()
                throw error
            }
            await connection.close()
            return ActionRecord(
                atSeconds: atSeconds, doneSeconds: done(), body: body, status: response.status,
                message: String(decoding: response.body.prefix(2000), as: UTF8.self))
        } catch {
            return ActionRecord(
                atSeconds: atSeconds, doneSeconds: done(), body: body, status: nil,
                message: "operator API at \(endpoint) failed: \(error)")
        }
    }
}
