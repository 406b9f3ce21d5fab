import ZenithHTTP
public import ZenithJSON

/// Sends operator API calls over HTTP/2 (h2c prior knowledge), one connection per endpoint and call.
public struct OperatorClient: Sendable {
    /// One endpoint's outcome.
    public struct Outcome: Sendable {
        public var endpoint: OperatorEndpoint
        public var result: Result<JSONValue, OperatorError>
    }

    public var token: String?
    public var timeout: Duration

    /// - Parameters:
    ///   - token: Sent as `Authorization: Bearer <token>` when set.
    ///   - timeout: The limit for connecting, and again for the answer.
    public init(token: String?, timeout: Duration) {
        self.token = token
        self.timeout = timeout
    }

    /// Sends `request` to every endpoint at once and returns the outcomes in endpoint order.
    public func send(_ request: OperatorRequest, to endpoints: [OperatorEndpoint]) async -> [Outcome] {
        await withTaskGroup(of: (Int, Result<JSONValue, OperatorError>).self) { group in
            for (index, endpoint) in endpoints.enumerated() {
                group.addTask { (index, await self.send(request, to: endpoint)) }
            }
            var results = [Result<JSONValue, OperatorError>?](repeating: nil, count: endpoints.count)
            for await (index, result) in group { results[index] = result }
            return zip(endpoints, results).map { Outcome(endpoint: $0, result: $1!) }
        }
    }

    /// Sends `request` to one endpoint and decodes the JSON answer; error statuses become
    /// ``OperatorError/server(status:reason:)`` with the server's `error` text.
    public func send(_ request: OperatorRequest, to endpoint: OperatorEndpoint) async -> Result<JSONValue, OperatorError> {
        let connection: HTTPClientConnection
        do {
            connection = try await HTTPClientConnection.connect(
                host: endpoint.host, port: endpoint.port, version: .http2, connectTimeout: self.timeout)
        } catch {
            switch error {
            case .connectFailed(let reason): return .failure(.unreachable(reason))
            default: return .failure(.unreachable(error.description))
            }
        }
        var headers: HTTPHeaderList = ["accept": "application/json"]
        if let token = self.token { headers.append(name: "authorization", value: "Bearer \(token)") }
        var body: [UInt8] = []
        if let json = request.body {
            headers.append(name: "content-type", value: "application/json")
            body = json.serializedBytes()
        }
        let httpRequest = HTTPRequest(
            method: request.method, path: endpoint.pathPrefix + request.path, headers: headers, body: body)
        let response: HTTPResponse
        do {
            response = try await connection.execute(httpRequest, timeout: self.timeout)
        } catch {
            await connection.close()
            return .failure(.transport(error == .timedOut ? "no answer within the timeout" : error.description))
        }
        await connection.close()
        return Self.decode(response)
    }

    /// Turns a response into the JSON value or the error it reports.
    static func decode(_ response: HTTPResponse) -> Result<JSONValue, OperatorError> {
        let json = try? JSONValue(parsing: response.body)
        guard (200..<300).contains(response.status) else {
            let reason = json?["error"]?.stringValue ?? Self.fallbackReason(response)
            return .failure(.server(status: response.status, reason: reason))
        }
        guard let json else {
            return .failure(.badResponse("the body is not JSON (HTTP \(response.status))"))
        }
        return .success(json)
    }

    private static func fallbackReason(_ response: HTTPResponse) -> String {
        let text = String(decoding: response.body.prefix(200), as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.isEmpty ? "the server answered without a reason" : line
    }
}
