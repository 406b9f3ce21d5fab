import NIOConcurrencyHelpers
import ZenithHTTP

/// Answers infers with fixed logits (class 3) and a plan, and records operator calls: a
/// stand-in for `zenith serve` and its operator API, with no model behind it.
final class FakeZenith: HTTPHandler {
    private let calls = NIOLockedValueBox<[(path: String, body: String)]>([])
    /// The expected accuracy reported for every answer.
    let expectedAccuracy: Double

    init(expectedAccuracy: Double = 0.92) {
        self.expectedAccuracy = expectedAccuracy
    }

    /// The operator calls received, in order.
    var operatorCalls: [(path: String, body: String)] { calls.withLockedValue { $0 } }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        if request.method == "POST", request.path.hasPrefix("/v2/slo/models/") {
            calls.withLockedValue { $0.append((request.path, String(decoding: request.body, as: UTF8.self))) }
            return HTTPResponse(status: 200, headers: ["content-type": "application/json"], body: Array("{}".utf8))
        }
        if request.method == "POST", request.path.hasSuffix("/infer") {
            let body =
                #"{"model_name":"fashion-cnn","parameters":{"plan":"dense","exited":false,"expected_accuracy":\#(expectedAccuracy)},"#
                + #""outputs":[{"name":"logits","datatype":"FP32","shape":[1,10],"data":[0,0,0,9,0,0,0,0,0,0]}]}"#
            return HTTPResponse(status: 200, headers: ["content-type": "application/json"], body: Array(body.utf8))
        }
        if request.path == "/v2/health/ready" { return HTTPResponse(status: 200) }
        return HTTPResponse.jsonError(status: 404, message: "not here")
    }
}
