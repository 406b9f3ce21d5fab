import Logging
import NIOCore
import NIOHTTP1

/// What a connection's protocol handlers are made from.
struct ConnectionContext {
    let configuration: HTTPServerConfiguration
    let runner: HandlerRunner
    let remoteAddress: String?
    let logger: Logger
    /// The server's request-body budget, shared by all its connections.
    let bodyBudget: RequestBodyBudget

    func http1Handlers() -> [any ChannelHandler] {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = self.configuration.maxHeaderListBytes
        limits.maxHeaderFieldSize = self.configuration.maxHeaderListBytes
        let decoder = HTTPRequestDecoder(
            // After an h2c upgrade request the decoder stops; what it holds then is HTTP/2.
            leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .drop, limitConfiguration: limits)
        return [
            RequestDeadlineHandler(timeout: TimeAmount(self.configuration.requestTimeout)),
            ByteToMessageHandler(decoder),
            HTTP1ConnectionHandler(
                limits: .init(
                    maxBodyBytes: self.configuration.maxBodyBytes,
                    maxHeaderListBytes: self.configuration.maxHeaderListBytes,
                    maxPipelinedRequests: max(1, self.configuration.maxPipelinedRequests)),
                connection: self),
        ]
    }

    func http2Handlers() throws -> [any ChannelHandler] {
        [try self.makeHTTP2Handler()]
    }

    /// An HTTP/2 handler; with `upgrade`, for a connection switching from HTTP/1.1 (h2c).
    func makeHTTP2Handler(upgrade: (settings: [UInt8], isHead: Bool)? = nil) throws -> HTTP2ConnectionHandler {
        let session = try NGHTTP2Session(
            limits: .init(
                maxBodyBytes: self.configuration.maxBodyBytes,
                maxHeaderListBytes: self.configuration.maxHeaderListBytes,
                maxConcurrentStreams: self.configuration.maxConcurrentStreams,
                maxConnectionBodyBytes: self.configuration.maxConnectionBodyBytes),
            bodyBudget: self.bodyBudget, logger: self.logger)
        if let upgrade {
            try session.upgrade(settings: upgrade.settings, isHead: upgrade.isHead)
        }
        return HTTP2ConnectionHandler(
            session: session, runner: self.runner, remoteAddress: self.remoteAddress, logger: self.logger)
    }
}
