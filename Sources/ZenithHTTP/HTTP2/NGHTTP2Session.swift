internal import CNGHTTP2
import Logging
import NIOCore

/// Owns one libnghttp2 server session: feeds it the connection's bytes, keeps each stream's
/// request and response, and serialises what nghttp2 wants to send.
///
/// It is confined to the connection's event loop. nghttp2 calls back into it (see
/// `NGHTTP2Session+Callbacks.swift`) only from inside ``receive(_:)`` and ``produceOutput(into:maxBytes:)``,
/// through an unretained pointer: the session never outlives this object.
final class NGHTTP2Session {
    struct Limits: Equatable {
        var maxBodyBytes: Int
        var maxHeaderListBytes: Int
        var maxConcurrentStreams: Int
    }

    /// What the receive path found for the connection handler to act on.
    enum Event {
        /// The stream's request is complete.
        case request(streamID: Int32)
        /// The stream must be answered with a rejection.
        case reject(streamID: Int32, TransportRejection)
    }

    enum OutputResult {
        /// nghttp2 has nothing more to send.
        case drained
        /// `maxBytes` reached; call again when the channel is writable.
        case more
        /// The session failed: close the connection.
        case failed(code: Int)
    }

    struct SessionError: Error {
        var code: Int
        var message: String {
            String(cString: nghttp2_strerror(Int32(truncatingIfNeeded: self.code)))
        }
    }

    /// SETTINGS_INITIAL_WINDOW_SIZE: how much request body a stream may send ahead.
    static let streamWindowBytes = 1 << 20
    /// The connection-level receive window.
    static let connectionWindowBytes = 16 << 20

    let limits: Limits
    let logger: Logger
    private var session: OpaquePointer?
    /// Streams opened by the peer and not closed yet.
    var streams: [Int32: HTTP2StreamState] = [:]
    /// Filled during ``receive(_:)``; the caller handles them and calls ``clearEvents()``.
    private(set) var events: [Event] = []

    // Scratch space reused to build each response's header list without allocating.
    private var headerBytes: [UInt8] = []
    private var headerSpans: [(nameStart: Int, nameCount: Int, valueStart: Int, valueCount: Int)] = []
    private var nameValues: [nghttp2_nv] = []

    init(limits: Limits, logger: Logger) throws(SessionError) {
        self.limits = limits
        self.logger = logger
        self.events.reserveCapacity(16)

        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else {
            throw SessionError(code: Int(NGHTTP2_ERR_NOMEM.rawValue))
        }
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.install(callbacks)

        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else {
            throw SessionError(code: Int(NGHTTP2_ERR_NOMEM.rawValue))
        }
        defer { nghttp2_option_del(option) }
        // No server push and no priority tree: keep no state for closed streams.
        nghttp2_option_set_no_closed_streams(option, 1)

        var session: OpaquePointer?
        let rv = nghttp2_session_server_new2(&session, callbacks, Unmanaged.passUnretained(self).toOpaque(), option)
        guard rv == 0, let session else { throw SessionError(code: Int(rv)) }
        self.session = session

        var settings = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: UInt32(clamping: limits.maxConcurrentStreams)),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: UInt32(clamping: limits.maxHeaderListBytes)),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: UInt32(Self.streamWindowBytes)),
        ]
        let settingsResult = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        guard settingsResult == 0 else { throw SessionError(code: Int(settingsResult)) }
        // A larger connection window lets request bodies arrive without waiting on WINDOW_UPDATE
        // round trips; the body limit still caps what each stream may keep.
        let windowResult = nghttp2_session_set_local_window_size(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(Self.connectionWindowBytes))
        guard windowResult == 0 else { throw SessionError(code: Int(windowResult)) }
    }

    deinit {
        nghttp2_session_del(self.session)
    }

    /// Turns the session into one upgraded from HTTP/1.1: stream 1 is the request that asked for
    /// the upgrade, already received; its response goes out on this session.
    ///
    /// - Parameters:
    ///   - settings: The decoded `HTTP2-Settings` payload.
    ///   - isHead: The request was HEAD.
    func upgrade(settings: [UInt8], isHead: Bool) throws(SessionError) {
        let result = settings.withUnsafeBufferPointer { payload in
            nghttp2_session_upgrade2(self.session, payload.baseAddress, payload.count, isHead ? 1 : 0, nil)
        }
        guard result == 0 else { throw SessionError(code: Int(result)) }
        var stream = HTTP2StreamState(
            limits: .init(maxBodyBytes: self.limits.maxBodyBytes, maxHeaderListBytes: self.limits.maxHeaderListBytes))
        stream.markUpgraded(isHead: isHead)
        self.streams[1] = stream
    }

    // MARK: Input

    /// Feeds bytes read from the connection. Returns `false` when the session failed fatally
    /// (the connection must close after sending whatever is queued).
    func receive(_ buffer: ByteBuffer) -> Bool {
        let result = buffer.withUnsafeReadableBytes { bytes -> Int in
            nghttp2_session_mem_recv(self.session, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
        if result < 0 {
            self.logger.debug(
                "HTTP/2 session failed on input", metadata: ["error": "\(SessionError(code: result).message)"])
            return false
        }
        return true
    }

    func appendEvent(_ event: Event) {
        self.events.append(event)
    }

    func clearEvents() {
        self.events.removeAll(keepingCapacity: true)
    }

    /// Moves a completed request out of its stream.
    func takeRequest(streamID: Int32, remoteAddress: String?) -> HTTPRequest? {
        self.streams[streamID]?.takeRequest(remoteAddress: remoteAddress)
    }

    // MARK: Output

    /// Submits the response for `streamID`: HEADERS, then DATA from the body as flow control
    /// allows. Returns `false` when the stream is gone (reset by the peer) or already answered.
    @discardableResult
    func submitResponse(streamID: Int32, response: HTTPResponse) -> Bool {
        let status = HTTP1ResponseSerializer.wireStatus(response.status)
        guard let plan = self.streams[streamID]?.setResponse(status: status, body: response.body) else { return false }
        let sendsBody = plan.sendsBody

        self.headerBytes.removeAll(keepingCapacity: true)
        self.headerSpans.removeAll(keepingCapacity: true)
        self.appendField(name: ":status", value: String(status))
        for field in response.headers where HTTP1ResponseSerializer.isWritable(field) && field.name != "te" {
            self.appendField(name: field.name, value: field.value)
        }
        if plan.sendsContentLength {
            self.appendField(name: "content-length", value: String(response.body.count))
        }

        var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: Self.readResponseBody)
        let result = self.headerBytes.withUnsafeMutableBufferPointer { bytes -> Int32 in
            let base = bytes.baseAddress!
            self.nameValues.removeAll(keepingCapacity: true)
            for span in self.headerSpans {
                self.nameValues.append(
                    nghttp2_nv(
                        name: base + span.nameStart, value: base + span.valueStart, namelen: span.nameCount,
                        valuelen: span.valueCount, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
            }
            return self.nameValues.withUnsafeBufferPointer { nva in
                if sendsBody {
                    return nghttp2_submit_response(self.session, streamID, nva.baseAddress, nva.count, &provider)
                }
                return nghttp2_submit_response(self.session, streamID, nva.baseAddress, nva.count, nil)
            }
        }
        if result != 0 {
            self.logger.debug(
                "HTTP/2 response not submitted",
                metadata: ["stream": "\(streamID)", "error": "\(SessionError(code: Int(result)).message)"])
            return false
        }
        return true
    }

    private func appendField(name: String, value: String) {
        let nameStart = self.headerBytes.count
        self.headerBytes.append(contentsOf: name.utf8)
        let valueStart = self.headerBytes.count
        self.headerBytes.append(contentsOf: value.utf8)
        self.headerSpans.append(
            (nameStart, valueStart - nameStart, valueStart, self.headerBytes.count - valueStart))
    }

    /// Sends GOAWAY(NO_ERROR) naming the last stream processed: streams already open finish,
    /// and once none is left the session wants neither to read nor to write.
    func submitGoAway() {
        let lastStreamID = nghttp2_session_get_last_proc_stream_id(self.session)
        _ = nghttp2_submit_goaway(
            self.session, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStreamID, NGHTTP2_NO_ERROR.rawValue, nil, 0)
    }

    /// Serialises pending frames into `buffer`, up to about `maxBytes`.
    func produceOutput(into buffer: inout ByteBuffer, maxBytes: Int) -> OutputResult {
        var produced = 0
        while produced < maxBytes {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(self.session, &chunk)
            if count < 0 { return .failed(code: count) }
            if count == 0 { return .drained }
            buffer.writeBytes(UnsafeRawBufferPointer(start: chunk, count: count))
            produced += count
        }
        return .more
    }

    /// The session still expects frames from the peer.
    var wantsRead: Bool { nghttp2_session_want_read(self.session) != 0 }
    /// The session has frames to send.
    var wantsWrite: Bool { nghttp2_session_want_write(self.session) != 0 }
}
