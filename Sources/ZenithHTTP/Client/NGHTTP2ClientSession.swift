internal import CNGHTTP2
import NIOCore

/// Owns one libnghttp2 client session: turns requests into streams, collects each stream's
/// response, and serialises what nghttp2 wants to send.
///
/// Confined to the connection's event loop. nghttp2 calls back into it (see
/// `NGHTTP2ClientSession+Callbacks.swift`) only from inside ``receive(_:)`` and while its
/// ``handle`` produces output, through an unretained pointer: the session never outlives this
/// object. Callbacks never run user code: finished streams are queued in ``finished`` and the
/// channel handler completes them once nghttp2 has returned, so a completion may submit the next
/// request without re-entering nghttp2.
final class NGHTTP2ClientSession: NGHTTP2SessionOwner {
    /// One request in flight.
    struct Stream {
        /// `nil` once the caller has been answered early (timed out): the stream is only drained.
        var completion: HTTPClientCompletion?
        var requestBody: [UInt8]
        var requestOffset = 0
        var status = 0
        var headers = HTTPHeaderList()
        var body: [UInt8] = []
        /// The fields of a header block after the response's (trailers), if one came.
        var trailers: HTTPHeaderList?
        /// END_STREAM arrived after a final (non-1xx) response.
        var responseComplete = false
        var timeout: Scheduled<Void>?
    }

    /// The nghttp2 session; its output is drained by the connection handler.
    let handle: NGHTTP2SessionHandle
    private(set) var streams: [Int32: Stream] = [:]
    /// Streams that ended during the last call into nghttp2, with their outcome, for the handler
    /// to complete and then clear with ``clearFinished()``.
    private(set) var finished: [(completion: HTTPClientCompletion, result: Result<HTTPResponse, HTTPClientError>)] = []
    /// Set when a SETTINGS frame from the peer arrived; the handler reads and resets it.
    var settingsReceived = false
    /// The peer sent GOAWAY: no new streams may start.
    private(set) var goAwayReceived = false
    /// The `:authority` used when a request carries no `host` field.
    let defaultAuthority: String

    private var headerBlock = NGHTTP2HeaderBlock()

    init(defaultAuthority: String) throws(NGHTTP2Error) {
        self.defaultAuthority = defaultAuthority
        self.handle = try NGHTTP2SessionHandle(
            kind: .client, settings: [NGHTTP2SessionHandle.setting(NGHTTP2_SETTINGS_ENABLE_PUSH, 0)],
            install: Self.install)
        self.finished.reserveCapacity(64)
        self.streams.reserveCapacity(128)
        self.handle.bind(to: self)
    }

    // MARK: Peer settings

    /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS (nghttp2 assumes 100 until SETTINGS arrive;
    /// "unlimited" reads as `UInt32.max`).
    var peerMaxConcurrentStreams: Int {
        Int(nghttp2_session_get_remote_settings(self.handle.pointer, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS))
    }

    // MARK: Input

    /// Feeds bytes read from the connection. Returns the error when the session failed fatally
    /// (the connection must close after sending whatever is queued, GOAWAY included).
    func receive(_ buffer: ByteBuffer) -> NGHTTP2Error? {
        self.handle.receive(buffer)
    }

    func clearFinished() {
        self.finished.removeAll(keepingCapacity: true)
    }

    // MARK: Requests

    /// Submits `request` as a new stream: HEADERS, then DATA from the body as flow control allows.
    /// Returns the stream id, or the reason it could not start (the completion is not called).
    func submit(
        _ request: HTTPRequest, completion: @escaping HTTPClientCompletion
    ) -> Result<Int32, HTTPClientError> {
        if self.goAwayReceived { return .failure(.connectionClosed) }
        self.headerBlock.removeAll()
        self.headerBlock.append(name: ":method", value: request.method)
        self.headerBlock.append(name: ":scheme", value: "http")
        self.headerBlock.append(name: ":authority", value: request.headers["host"] ?? self.defaultAuthority)
        self.headerBlock.append(name: ":path", value: request.path.isEmpty ? "/" : request.path)
        for field in request.headers where Self.isSendable(field) {
            self.headerBlock.append(name: field.name, value: field.value)
        }
        let sendsBody = !request.body.isEmpty
        if sendsBody || Self.expectsBody(request.method) {
            self.headerBlock.append(name: "content-length", value: String(request.body.count))
        }

        var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: Self.readRequestBody)
        let streamID = self.headerBlock.withNameValues { nva in
            // nghttp2 copies the fields (and the provider); the body is read later through it.
            if sendsBody {
                return nghttp2_submit_request(self.handle.pointer, nil, nva.baseAddress, nva.count, &provider, nil)
            }
            return nghttp2_submit_request(self.handle.pointer, nil, nva.baseAddress, nva.count, nil, nil)
        }
        guard streamID > 0 else {
            switch streamID {
            case NGHTTP2_ERR_START_STREAM_NOT_ALLOWED.rawValue, NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE.rawValue:
                return .failure(.connectionClosed)
            default:
                return .failure(.protocolError(NGHTTP2Error(code: Int(streamID)).message))
            }
        }
        self.streams[streamID] = Stream(completion: completion, requestBody: sendsBody ? request.body : [])
        return .success(streamID)
    }

    /// Attaches the timer that times the stream out, so it is cancelled when the stream ends.
    func setTimeout(_ timeout: Scheduled<Void>, streamID: Int32) {
        self.streams[streamID]?.timeout = timeout
    }

    /// Takes the caller's completion off an open stream and resets the stream with CANCEL. Returns
    /// `nil` if the stream already ended.
    func abandon(streamID: Int32) -> HTTPClientCompletion? {
        guard let completion = self.streams[streamID]?.completion else { return nil }
        self.streams[streamID]?.completion = nil
        self.streams[streamID]?.requestBody = []
        _ = nghttp2_submit_rst_stream(
            self.handle.pointer, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, NGHTTP2_CANCEL.rawValue)
        return completion
    }

    /// Removes every stream and returns the completions still owed, for a connection that is gone.
    func takeAllCompletions() -> [HTTPClientCompletion] {
        var completions: [HTTPClientCompletion] = []
        for (_, stream) in self.streams {
            stream.timeout?.cancel()
            if let completion = stream.completion { completions.append(completion) }
        }
        self.streams.removeAll()
        return completions
    }

    /// Queues GOAWAY(NO_ERROR): no new streams from either side.
    func terminate() {
        _ = nghttp2_session_terminate_session(self.handle.pointer, NGHTTP2_NO_ERROR.rawValue)
    }

    /// Fields that may travel in an HTTP/2 request as given: not the connection-specific ones
    /// RFC 9113 §8.2.2 forbids, not `host` (sent as `:authority`), not a `content-length` we set
    /// ourselves, and nothing a CR, LF or NUL would corrupt.
    static func isSendable(_ field: HTTPHeaderList.Field) -> Bool {
        switch field.name {
        case "host", "content-length", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
            return false
        case "te":
            return field.value == "trailers"
        default:
            return field.isWellFormed && field.name.utf8.first != UInt8(ascii: ":")
        }
    }

    /// Methods whose requests announce `content-length: 0` when they have no body (RFC 9110 §8.6).
    static func expectsBody(_ method: String) -> Bool {
        method == "POST" || method == "PUT" || method == "PATCH"
    }

    // MARK: Response assembly (called from the callbacks)

    func receiveHeader(
        streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, isTrailer: Bool = false
    ) {
        guard self.streams[streamID] != nil else { return }
        if isTrailer {
            guard self.streams[streamID]!.status >= 200 else { return }
            self.streams[streamID]!.trailers = self.streams[streamID]!.trailers ?? HTTPHeaderList()
            self.streams[streamID]!.trailers!.append(
                lowercasedName: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
            return
        }
        if name.count == 7, name.elementsEqual(":status".utf8) {
            var status = 0
            for byte in value where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                status = status * 10 + Int(byte - UInt8(ascii: "0"))
            }
            self.streams[streamID]!.status = status
            // A final response after 1xx interim ones starts a fresh field list.
            self.streams[streamID]!.headers = HTTPHeaderList()
            return
        }
        // Interim (1xx) fields are dropped.
        guard self.streams[streamID]!.status >= 200 else { return }
        let nameString = String(decoding: name, as: UTF8.self)
        let valueString = String(decoding: value, as: UTF8.self)
        if nameString == "content-length", let length = Int(valueString), length > 0 {
            self.streams[streamID]!.body.reserveCapacity(min(length, 16 << 20))
        }
        self.streams[streamID]!.headers.append(lowercasedName: nameString, value: valueString)
    }

    func receiveData(streamID: Int32, _ bytes: UnsafeRawBufferPointer) {
        guard self.streams[streamID]?.completion != nil else { return }
        self.streams[streamID]!.body.append(contentsOf: bytes)
    }

    func remoteEnded(streamID: Int32) {
        guard let status = self.streams[streamID]?.status, status >= 200 else { return }
        self.streams[streamID]!.responseComplete = true
    }

    func streamClosed(streamID: Int32, errorCode: UInt32) {
        guard let stream = self.streams.removeValue(forKey: streamID) else { return }
        stream.timeout?.cancel()
        guard let completion = stream.completion else { return }
        let result: Result<HTTPResponse, HTTPClientError>
        if stream.responseComplete {
            // A server that answered before reading the whole body resets with NO_ERROR: the
            // response stands.
            result = .success(
                HTTPResponse(status: stream.status, headers: stream.headers, body: stream.body, trailers: stream.trailers))
        } else if errorCode != NGHTTP2_NO_ERROR.rawValue {
            result = .failure(.streamReset(errorCode))
        } else {
            result = .failure(.connectionClosed)
        }
        self.finished.append((completion, result))
    }

    func peerSentGoAway() {
        self.goAwayReceived = true
    }

    /// Copies the next slice of a stream's request body for the data provider.
    func readRequestBody(streamID: Int32, into destination: UnsafeMutableRawBufferPointer) -> (count: Int, isEnd: Bool)? {
        guard let stream = self.streams[streamID] else { return nil }
        let count = min(destination.count, stream.requestBody.count - stream.requestOffset)
        if count > 0 {
            stream.requestBody.withUnsafeBytes { source in
                destination.baseAddress!.copyMemory(from: source.baseAddress! + stream.requestOffset, byteCount: count)
            }
        }
        let offset = stream.requestOffset + count
        let isEnd = offset == stream.requestBody.count
        self.streams[streamID]!.requestOffset = offset
        if isEnd { self.streams[streamID]!.requestBody = [] }
        return (count, isEnd)
    }
}
