/// Turns one request into one response; the layer above the transport (routing) implements it.
///
/// The server calls it concurrently: for every HTTP/2 stream and for pipelined HTTP/1.1 requests
/// (whose responses are still written in request order). Calls start on the connection's event
/// loop and run there until their first suspension, so a handler that computes for long should
/// hand the work to its own executor or actor instead of blocking the loop.
public protocol HTTPHandler: Sendable {
    /// Answers `request`. Errors are responses: return a 4xx/5xx with a JSON body.
    func handle(_ request: HTTPRequest) async -> HTTPResponse
}
