import Logging
import NIOCore

/// Receives the handler's responses on the connection's event loop.
protocol ResponseSink: AnyObject, SendableMetatype {
    /// Called on the event loop with the response to the request numbered `id`.
    func deliver(id: Int, response: HTTPResponse)
}

/// Calls the user's ``HTTPHandler`` for one connection and brings the response back to its loop.
///
/// The handler task starts synchronously on the event loop (`Task.immediate`) with the loop as its
/// executor preference, so a handler that does not suspend answers within the same loop tick,
/// and one that does resumes on the loop: no thread hop either way.
struct HandlerRunner: Sendable {
    let handler: any HTTPHandler
    let executor: EventLoopTaskExecutor
    let logger: Logger

    var eventLoop: any EventLoop { self.executor.eventLoop }

    /// Starts the handler for `request`; its response goes to `sink` as request `id`.
    /// - Returns: the handler's task, to cancel if the client leaves before the answer.
    @discardableResult
    func start<Sink: ResponseSink>(_ request: HTTPRequest, id: Int, sink: Sink) -> Task<Void, Never> {
        let sink = NIOLoopBound(sink, eventLoop: self.eventLoop)
        let handler = self.handler
        let logger = self.logger
        let eventLoop = self.eventLoop
        let operation: @Sendable () async -> Void = {
            let response = await handler.handle(request)
            logger.debug(
                "\(request.method) \(request.path) \(request.version) -> \(response.status)",
                metadata: ["remote": "\(request.remoteAddress ?? "-")", "body_bytes": "\(request.body.count)"])
            if eventLoop.inEventLoop {
                sink.value.deliver(id: id, response: response)
            } else {
                eventLoop.execute { sink.value.deliver(id: id, response: response) }
            }
        }
        if #available(macOS 26.0, *) {
            return Task.immediate(executorPreference: self.executor, operation: operation)
        } else {
            return Task(executorPreference: self.executor, operation: operation)
        }
    }
}
