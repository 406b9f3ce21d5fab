internal import CNGHTTP2
import Logging
import NIOCore

/// Owns one libnghttp2 server session: feeds it the connection's bytes, keeps each stream's
/// request and response, and serialises what nghttp2 wants to send.
///
/// It is confined to the connection's event loop. nghttp2 calls back into it (see
/// `NGHTTP2Session+Callbacks.swift`) only from inside ``receive(_:)`` and while its ``handle``
/// produces output, through an unretained pointer: the session never outlives this object.
final class NGHTTP2Session: NGHTTP2SessionOwner {
    struct Limits: Equatable {
        var maxBodyBytes: Int
        var maxHeaderListBytes: Int
        var maxConcurrentStreams: Int
        /// Unfinished request-body bytes held over all streams at most.
        var maxConnectionBodyBytes: Int = .max
    }

    /// What the receive path found for the connection handler to act on.
    enum Event {
        /// The stream's request is complete.
        case request(streamID: Int32)
        /// The stream must be answered with a rejection.
        case reject(streamID: Int32, TransportRejection)
        /// The peer reset (or the session closed) a stream whose request was handed out and
        /// not answered yet: nobody wants its response.
        case abandoned(streamID: Int32)
    }

    let limits: Limits
    let logger: Logger
    /// The server's request-body budget; this session's share is ``reservedBodyBytes``.
    let bodyBudget: RequestBodyBudget
    /// Bytes reserved in ``bodyBudget``: at least what the streams hold, returned by
    /// ``settleBodyBudget()`` once they hold less.
    private(set) var reservedBodyBytes = 0
    /// The nghttp2 session; its output is drained by the connection handler.
    let handle: NGHTTP2SessionHandle
    /// Streams opened by the peer and not closed yet.
    var streams: [Int32: HTTP2Stream] = [:]

    /// Request-body bytes the streams hold, not yet handed to a handler (at most
    /// `maxConcurrentStreams` streams to add up).
    var bufferedBodyBytes: Int { self.streams.values.reduce(0) { $0 + $1.state.body.count } }
    /// Filled during ``receive(_:)``; the caller handles them and calls ``clearEvents()``.
    private(set) var events: [Event] = []

    private var headerBlock = NGHTTP2HeaderBlock()

    init(limits: Limits, bodyBudget: RequestBodyBudget, logger: Logger) throws(NGHTTP2Error) {
        self.limits = limits
        self.bodyBudget = bodyBudget
        self.logger = logger
        self.handle = try NGHTTP2SessionHandle(
            kind: .server,
            settings: [
                NGHTTP2SessionHandle.setting(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits.maxConcurrentStreams),
                NGHTTP2SessionHandle.setting(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limits.maxHeaderListBytes),
            ],
            // The peer may send no more than the connection's budget could keep, nor the server's.
            connectionWindowBytes: min(
                NGHTTP2SessionHandle.connectionWindowBytes, limits.maxConnectionBodyBytes, bodyBudget.limit),
            install: Self.install)
        self.events.reserveCapacity(16)
        self.handle.bind(to: self)
    }

    deinit {
        self.bodyBudget.release(self.reservedBodyBytes)
    }

    /// Turns the session into one upgraded from HTTP/1.1: stream 1 is the request that asked for
    /// the upgrade, already received; its response goes out on this session.
    ///
    /// - Parameters:
    ///   - settings: The decoded `HTTP2-Settings` payload.
    ///   - isHead: The request was HEAD.
    func upgrade(settings: [UInt8], isHead: Bool) throws(NGHTTP2Error) {
        let result = settings.withUnsafeBufferPointer { payload in
            nghttp2_session_upgrade2(self.handle.pointer, payload.baseAddress, payload.count, isHead ? 1 : 0, nil)
        }
        guard result == 0 else { throw NGHTTP2Error(code: Int(result)) }
        var stream = HTTP2StreamState(
            limits: .init(maxBodyBytes: self.limits.maxBodyBytes, maxHeaderListBytes: self.limits.maxHeaderListBytes))
        stream.markUpgraded(isHead: isHead)
        self.streams[1] = HTTP2Stream(stream)
    }

    // MARK: Input

    /// Feeds bytes read from the connection. Returns `false` when the session failed fatally
    /// (the connection must close after sending whatever is queued).
    func receive(_ buffer: ByteBuffer) -> Bool {
        if let error = self.handle.receive(buffer) {
            self.logger.debug("HTTP/2 session failed on input", metadata: ["error": "\(error.message)"])
            // nghttp2 queues GOAWAY for the protocol errors it finds, but not when the peer
            // floods it (SETTINGS or PING faster than their ACKs leave, too many CONTINUATIONs):
            // say why before closing. A GOAWAY already queued is left as it is.
            let code =
                switch Int32(truncatingIfNeeded: error.code) {
                case NGHTTP2_ERR_FLOODED.rawValue, NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue:
                    NGHTTP2_ENHANCE_YOUR_CALM.rawValue
                default: NGHTTP2_PROTOCOL_ERROR.rawValue
                }
            _ = nghttp2_session_terminate_session(self.handle.pointer, code)
            self.settleBodyBudget()
            return false
        }
        self.settleBodyBudget()
        return true
    }

    /// Reserves `bytes` of DATA in the server's body budget before a stream keeps them; `false`
    /// when the server holds too much already.
    func reserveBody(_ bytes: Int) -> Bool {
        guard self.bodyBudget.reserve(bytes) else { return false }
        self.reservedBodyBytes += bytes
        return true
    }

    /// Returns to the server's budget what the streams no longer hold (bodies handed out,
    /// refused, discarded or closed with their stream).
    func settleBodyBudget() {
        guard self.reservedBodyBytes > 0 else { return }
        let held = self.bufferedBodyBytes
        guard self.reservedBodyBytes > held else { return }
        self.bodyBudget.release(self.reservedBodyBytes - held)
        self.reservedBodyBytes = held
    }

    /// The connection is gone, and every stream's body with it: returns them all to the budget
    /// (nothing is read from the connection afterwards).
    func releaseBodyBudget() {
        self.bodyBudget.release(self.reservedBodyBytes)
        self.reservedBodyBytes = 0
    }

    func appendEvent(_ event: Event) {
        self.events.append(event)
    }

    func clearEvents() {
        self.events.removeAll(keepingCapacity: true)
    }

    /// Moves a completed request out of its stream.
    func takeRequest(streamID: Int32, remoteAddress: String?) -> HTTPRequest? {
        defer { self.settleBodyBudget() }
        return self.streams[streamID]?.state.takeRequest(remoteAddress: remoteAddress)
    }

    // MARK: Output

    /// Submits the response for `streamID`: HEADERS, then DATA from the body as flow control
    /// allows, then the trailers if it has any (submitted by the data provider once the body is
    /// done). Returns `false` when the stream is gone (reset by the peer) or already answered.
    @discardableResult
    func submitResponse(streamID: Int32, response: HTTPResponse) -> Bool {
        let status = HTTP1ResponseSerializer.wireStatus(response.status)
        guard
            let plan = self.streams[streamID]?.state.setResponse(
                status: status, body: response.body, delivery: response.delivery, trailers: response.trailers)
        else { return false }
        let sendsBody = plan.sendsBody

        self.headerBlock.removeAll()
        self.headerBlock.append(name: ":status", value: String(status))
        for field in response.headers where Self.isWritable(field) {
            self.headerBlock.append(name: field.name, value: field.value)
        }
        if plan.sendsContentLength {
            self.headerBlock.append(name: "content-length", value: String(response.body.count))
        }
        if plan.trailersInHeaders, let trailers = response.trailers {
            for field in trailers where Self.isWritable(field) {
                self.headerBlock.append(name: field.name, value: field.value)
            }
        }

        var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: Self.readResponseBody)
        let session = self.handle.pointer
        let result = self.headerBlock.withNameValues { nva in
            if sendsBody {
                return nghttp2_submit_response(session, streamID, nva.baseAddress, nva.count, &provider)
            }
            return nghttp2_submit_response(session, streamID, nva.baseAddress, nva.count, nil)
        }
        if result != 0 {
            self.logger.debug(
                "HTTP/2 response not submitted",
                metadata: ["stream": "\(streamID)", "error": "\(NGHTTP2Error(code: Int(result)).message)"])
            return false
        }
        return true
    }

    /// Submits the trailer fields that end `streamID`'s response; the data provider calls it
    /// once the body's last byte is read, having kept END_STREAM off that DATA frame. If nghttp2
    /// refuses them the stream is reset, as it could never end otherwise.
    func submitTrailers(streamID: Int32, trailers: HTTPHeaderList) {
        self.headerBlock.removeAll()
        for field in trailers where Self.isWritable(field) {
            self.headerBlock.append(name: field.name, value: field.value)
        }
        let session = self.handle.pointer
        let result = self.headerBlock.withNameValues { nva in
            nghttp2_submit_trailer(session, streamID, nva.baseAddress, nva.count)
        }
        if result != 0 {
            self.logger.debug(
                "HTTP/2 trailers not submitted",
                metadata: ["stream": "\(streamID)", "error": "\(NGHTTP2Error(code: Int(result)).message)"])
            _ = nghttp2_submit_rst_stream(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, NGHTTP2_INTERNAL_ERROR.rawValue)
        }
    }

    /// Whether a handler's field may go into an HTTP/2 header block: not the HTTP/1.1 framing
    /// fields, nor `te`.
    private static func isWritable(_ field: HTTPHeaderList.Field) -> Bool {
        HTTP1ResponseSerializer.isWritable(field) && field.name != "te"
    }

    /// Sends GOAWAY(NO_ERROR) naming the last stream processed: streams already open finish,
    /// and once none is left the session wants neither to read nor to write.
    func submitGoAway() {
        let lastStreamID = nghttp2_session_get_last_proc_stream_id(self.handle.pointer)
        _ = nghttp2_submit_goaway(
            self.handle.pointer, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStreamID, NGHTTP2_NO_ERROR.rawValue, nil, 0)
    }
}
