/// One HTTP/2 stream's request as its frames arrive and its response body as it leaves.
///
/// Pure bookkeeping, no nghttp2: nghttp2's callbacks feed it and carry out what it decides.
/// It enforces the header-list limit (RFC 9113 accounting: name + value + 32 per field) and the
/// body limit (declared `content-length`, then streamed bytes) before the bytes are kept.
struct HTTP2StreamState {
    struct Limits: Equatable {
        var maxBodyBytes: Int
        var maxHeaderListBytes: Int
    }

    /// What to do once a header block or the stream's end has arrived.
    enum Completion: Equatable {
        /// Keep receiving (the body follows).
        case wait
        /// The request is complete: hand it to the handler.
        case dispatch
        /// Answer with this rejection instead of calling the handler.
        case reject(TransportRejection)
        /// Already dispatched or rejected: nothing to do.
        case ignore
    }

    enum DataAction: Equatable {
        case appended
        /// Dropped: the stream was already rejected or dispatched.
        case discarded
        case reject(TransportRejection)
    }

    private(set) var method = ""
    private(set) var path = ""
    private(set) var authority: String?
    private(set) var headers = HTTPHeaderList()
    private(set) var body: [UInt8] = []
    private(set) var headerListBytes = 0
    private(set) var receivedBodyBytes = 0
    private(set) var declaredContentLength: Int?
    private(set) var rejection: TransportRejection?
    private var rejectionAnswered = false
    private var headersComplete = false
    private(set) var isDispatched = false
    /// The request was HEAD: its response goes without a body.
    private(set) var isHead = false

    /// The response body the data provider serves, and how much of it was sent.
    private(set) var responseBody: [UInt8] = []
    private(set) var responseOffset = 0
    private(set) var hasResponse = false
    /// When the request's header block was complete.
    private(set) var receivedNanos: UInt64?
    /// Told when the response's last frame is sent.
    private var delivery: ResponseDelivery?
    /// Trailer fields to send once the response body is done (see ``takeTrailers()``).
    private var responseTrailers: HTTPHeaderList?

    let limits: Limits

    init(limits: Limits) {
        self.limits = limits
    }

    // MARK: Request

    /// Counts one field against the header-list limit before it is stored. Returns `false` when
    /// the field must be dropped (the list is, or has just become, too large).
    mutating func admitHeader(nameLength: Int, valueLength: Int) -> Bool {
        guard self.rejection == nil else { return false }
        self.headerListBytes += nameLength + valueLength + 32
        if self.headerListBytes > self.limits.maxHeaderListBytes {
            self.rejection = .headerListTooLarge(limit: self.limits.maxHeaderListBytes)
            self.headers = HTTPHeaderList()
            return false
        }
        return true
    }

    /// Counts a field against the limit and, if admitted, stores it: the one call nghttp2's header
    /// callback makes, so the bytes become strings only once they are known to fit.
    mutating func receiveHeader(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        guard self.admitHeader(nameLength: name.count, valueLength: value.count), !self.headersComplete else { return }
        self.addHeader(
            name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
    }

    /// Stores an admitted field; pseudo-header fields fill the request line. Trailer fields
    /// (after the body) are counted but not kept.
    mutating func addHeader(name: String, value: String) {
        guard !self.headersComplete else { return }
        switch name {
        case ":method":
            self.method = value
            self.isHead = value == "HEAD"
        case ":path": self.path = value
        case ":authority": self.authority = value
        case ":scheme", ":protocol": break
        default:
            if name == "content-length" { self.declaredContentLength = Int(value) }
            if self.headers.isEmpty { self.headers.reserveCapacity(8) }
            self.headers.append(lowercasedName: name, value: value)
        }
    }

    /// A complete header block arrived (the request's headers, or trailers) at `nanos`.
    mutating func headerBlockComplete(endStream: Bool, at nanos: UInt64) -> Completion {
        if self.receivedNanos == nil { self.receivedNanos = nanos }
        if let rejection = self.rejection {
            guard !self.rejectionAnswered else { return .ignore }
            self.rejectionAnswered = true
            return .reject(rejection)
        }
        if !self.headersComplete {
            self.headersComplete = true
            if let declared = self.declaredContentLength, declared > self.limits.maxBodyBytes {
                return self.reject(.bodyTooLarge(limit: self.limits.maxBodyBytes))
            }
        }
        return endStream ? self.remoteEnded() : .wait
    }

    /// Whether DATA would be kept (not yet rejected nor dispatched); else it is discarded.
    var acceptsBody: Bool { self.rejection == nil && !self.isDispatched }

    /// A chunk of body arrived; it is kept only while under the limit.
    mutating func receivedData(_ bytes: UnsafeRawBufferPointer) -> DataAction {
        guard self.rejection == nil, !self.isDispatched else { return .discarded }
        let total = self.receivedBodyBytes + bytes.count
        if total > self.limits.maxBodyBytes {
            if case .reject(let rejection) = self.reject(.bodyTooLarge(limit: self.limits.maxBodyBytes)) {
                return .reject(rejection)
            }
            return .discarded
        }
        self.receivedBodyBytes = total
        if self.body.isEmpty, let declared = self.declaredContentLength {
            self.body.reserveCapacity(min(declared, 1 << 20))
        }
        self.body.append(contentsOf: bytes)
        return .appended
    }

    /// Refuses the stream's body for a reason of the connection's (its streams together hold too
    /// much): the body kept so far is dropped.
    mutating func refuseBody(_ rejection: TransportRejection) -> DataAction {
        guard self.rejection == nil, !self.isDispatched else { return .discarded }
        if case .reject(let rejection) = self.reject(rejection) { return .reject(rejection) }
        return .discarded
    }

    /// The peer ended the stream (END_STREAM on DATA or HEADERS).
    mutating func remoteEnded() -> Completion {
        guard self.rejection == nil, !self.isDispatched else { return .ignore }
        self.isDispatched = true
        return .dispatch
    }

    private mutating func reject(_ rejection: TransportRejection) -> Completion {
        self.rejection = rejection
        self.rejectionAnswered = true
        self.body = []
        return .reject(rejection)
    }

    /// Stream 1 of a connection upgraded from HTTP/1.1: its request arrived over HTTP/1.1 and
    /// is already with the handler.
    mutating func markUpgraded(isHead: Bool) {
        self.isHead = isHead
        self.headersComplete = true
        self.isDispatched = true
    }

    /// Builds the request for the handler, moving the headers and body out.
    mutating func takeRequest(remoteAddress: String?) -> HTTPRequest {
        var headers = self.headers
        self.headers = HTTPHeaderList()
        let body = self.body
        self.body = []
        if let authority = self.authority, headers["host"] == nil {
            headers.append(lowercasedName: "host", value: authority)
        }
        return HTTPRequest(
            method: self.method, path: self.path, headers: headers, body: body, version: .http2,
            remoteAddress: remoteAddress, receivedNanos: self.receivedNanos)
    }

    // MARK: Response

    /// How a response goes out on the wire.
    struct ResponsePlan: Equatable {
        /// Send `content-length` (not for 1xx, 204, 304, nor with trailers).
        var sendsContentLength: Bool
        /// Attach a data provider: there are body bytes and the request was not HEAD.
        var sendsBody: Bool
        /// Put the trailer fields in the response's header block: there are trailers and no body
        /// to send them after (gRPC's trailers-only response).
        var trailersInHeaders: Bool = false
    }

    /// Records the response to serve; `nil` if the stream was already answered.
    ///
    /// - Parameter trailers: sent after the body (the data provider finds them with
    ///   ``takeTrailers()``), or in the header block when no body is sent.
    mutating func setResponse(
        status: Int, body: [UInt8], delivery: ResponseDelivery? = nil, trailers: HTTPHeaderList? = nil
    ) -> ResponsePlan? {
        guard !self.hasResponse else { return nil }
        self.hasResponse = true
        self.delivery = delivery
        let bodyAllowed = status >= 200 && status != 204 && status != 304
        let sendsBody = bodyAllowed && !self.isHead && !body.isEmpty
        self.responseBody = sendsBody ? body : []
        self.responseOffset = 0
        self.responseTrailers = sendsBody ? trailers : nil
        return ResponsePlan(
            sendsContentLength: bodyAllowed && trailers == nil, sendsBody: sendsBody,
            trailersInHeaders: trailers != nil && !sendsBody)
    }

    /// The trailer fields to send now that the body is done, once; `nil` when there are none
    /// (the body's last DATA frame then ends the stream).
    mutating func takeTrailers() -> HTTPHeaderList? {
        defer { self.responseTrailers = nil }
        return self.responseTrailers
    }

    /// The response's last frame (END_STREAM) was serialised for the socket.
    mutating func responseSent() {
        self.delivery?.sent()
        self.delivery = nil
    }

    /// Copies up to `capacity` bytes of the response body to `destination`; returns the count and
    /// whether the body is finished.
    mutating func readResponse(into destination: UnsafeMutableRawBufferPointer) -> (count: Int, isEnd: Bool) {
        let count = min(destination.count, self.responseBody.count - self.responseOffset)
        if count > 0 {
            self.responseBody.withUnsafeBytes { source in
                destination.baseAddress!.copyMemory(
                    from: source.baseAddress! + self.responseOffset, byteCount: count)
            }
            self.responseOffset += count
        }
        let isEnd = self.responseOffset == self.responseBody.count
        if isEnd {
            self.responseBody = []
            self.responseOffset = 0
        }
        return (count, isEnd)
    }
}
