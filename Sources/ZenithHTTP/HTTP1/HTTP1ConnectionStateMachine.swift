import NIOCore

/// One HTTP/1.1 connection's protocol state, free of I/O.
///
/// It numbers requests as their heads arrive, enforces the body limit while the body streams in,
/// lets handlers finish in any order but releases responses strictly in request order
/// (pipelining), applies back-pressure once too many requests wait for their responses, and
/// decides when the connection closes: after `Connection: close`, after a rejected or malformed
/// request (whose unread remainder makes the byte stream unusable), on idle timeout, and when the
/// server quiesces.
struct HTTP1ConnectionStateMachine {
    struct Limits: Equatable {
        var maxBodyBytes: Int
        var maxHeaderListBytes: Int
        var maxPipelinedRequests: Int
    }

    /// What the response writer needs to know about the request it answers.
    struct RequestInfo: Equatable {
        var keepAlive: Bool
        var isHead: Bool
        var isHTTP10: Bool

        init(keepAlive: Bool, isHead: Bool = false, isHTTP10: Bool = false) {
            self.keepAlive = keepAlive
            self.isHead = isHead
            self.isHTTP10 = isHTTP10
        }
    }

    /// A response released for writing.
    struct Outgoing {
        var response: HTTPResponse
        var info: RequestInfo
        /// This is the connection's last response: say `Connection: close`.
        var closeConnection: Bool
    }

    enum AfterWrite: Equatable {
        case keepOpen
        /// Close once the writes are done.
        case close
        /// The peer may still be sending a request we will not read: close our side once the
        /// writes are done, discard input for a moment so the peer sees the response rather than
        /// a reset, then close.
        case closeLingering
    }

    /// Responses to write now, in order, and what to do afterwards.
    struct Flush {
        var responses: [Outgoing]
        var afterWrite: AfterWrite
        /// Reads were held for back-pressure and may resume.
        var resumeReading: Bool
    }

    enum HeadAction {
        /// Read the body; answer `100 Continue` first if asked.
        case receiveBody(sendContinue: Bool)
        /// The request was refused (413); write what is ready.
        case reject(Flush?)
        /// Reading has stopped; drop this request.
        case ignore
    }

    enum BodyAction {
        case append
        case reject(Flush?)
        case ignore
    }

    enum EndAction: Equatable {
        /// The request is complete: call the handler and report its response under `id`.
        case dispatch(id: Int)
        case ignore
    }

    private enum Slot {
        case waiting(RequestInfo)
        case ready(RequestInfo, HTTPResponse)
    }

    private enum ReadState: Equatable {
        case awaitingHead
        case body(received: Int)
        /// No further requests are read (rejection, `Connection: close`, quiescing, EOF).
        case stopped
    }

    let limits: Limits
    /// Requests in order whose responses are not written yet; `slots[0]` has id `firstSlotID`.
    private var slots = CircularBuffer<Slot>(initialCapacity: 4)
    private var firstSlotID = 0
    private var readState = ReadState.awaitingHead
    /// What happens once every slot is written after reading stopped.
    private var finalAction = AfterWrite.close
    private var quiescing = false
    private var readHeld = false
    /// The connection is closing or closed; every later event is ignored.
    private(set) var isClosing = false

    init(limits: Limits) {
        self.limits = limits
    }

    /// Requests read whose responses are not yet written.
    var pendingResponses: Int { self.slots.count }

    // MARK: Reading requests

    mutating func receivedHead(_ info: RequestInfo, contentLength: Int?, expectsContinue: Bool) -> HeadAction {
        guard self.readState == .awaitingHead, !self.isClosing else { return .ignore }
        if let contentLength, contentLength > self.limits.maxBodyBytes {
            self.slots.append(.waiting(info))
            return .reject(self.reject(.bodyTooLarge(limit: self.limits.maxBodyBytes)))
        }
        self.slots.append(.waiting(info))
        self.readState = .body(received: 0)
        // A 100 Continue must not overtake an earlier pipelined response.
        return .receiveBody(sendContinue: expectsContinue && self.slots.count == 1)
    }

    mutating func receivedBody(count: Int) -> BodyAction {
        guard case .body(let received) = self.readState, !self.isClosing else { return .ignore }
        let total = received + count
        if total > self.limits.maxBodyBytes {
            return .reject(self.reject(.bodyTooLarge(limit: self.limits.maxBodyBytes)))
        }
        self.readState = .body(received: total)
        return .append
    }

    /// Refuses the body being read for a reason beyond it (the server holds too many bodies):
    /// answers the request with `rejection` and stops reading, as for an oversized body.
    mutating func refuseBody(_ rejection: TransportRejection) -> BodyAction {
        guard case .body = self.readState, !self.isClosing else { return .ignore }
        return .reject(self.reject(rejection))
    }

    mutating func receivedEnd() -> EndAction {
        guard case .body = self.readState, case .waiting(let info) = self.slots.last, !self.isClosing else {
            return .ignore
        }
        if !info.keepAlive || self.quiescing {
            self.readState = .stopped
            self.finalAction = .close
        } else {
            self.readState = .awaitingHead
        }
        return .dispatch(id: self.firstSlotID + self.slots.count - 1)
    }

    /// The parser failed (400) or the header list was too large (431).
    mutating func protocolError(_ rejection: TransportRejection) -> Flush? {
        guard self.readState != .stopped, !self.isClosing else { return nil }
        if self.readState == .awaitingHead {
            self.slots.append(.waiting(RequestInfo(keepAlive: false)))
        }
        return self.reject(rejection)
    }

    /// Answers the request being read (the last slot) with `rejection` and stops reading.
    private mutating func reject(_ rejection: TransportRejection) -> Flush? {
        let index = self.slots.index(before: self.slots.endIndex)
        guard case .waiting(var info) = self.slots[index] else { return nil }
        info.keepAlive = false
        self.slots[index] = .ready(info, rejection.response)
        self.readState = .stopped
        self.finalAction = .closeLingering
        return self.releaseReadyResponses()
    }

    // MARK: Responses

    /// The handler answered request `id`; returns what can be written now.
    mutating func responseReady(id: Int, response: HTTPResponse) -> Flush? {
        let offset = id - self.firstSlotID
        guard !self.isClosing, offset >= 0, offset < self.slots.count else { return nil }
        let index = self.slots.index(self.slots.startIndex, offsetBy: offset)
        guard case .waiting(let info) = self.slots[index] else { return nil }
        self.slots[index] = .ready(info, response)
        return self.releaseReadyResponses()
    }

    private mutating func releaseReadyResponses() -> Flush? {
        var released: [Outgoing] = []
        while let first = self.slots.first, case .ready(let info, let response) = first {
            self.slots.removeFirst()
            self.firstSlotID += 1
            let isLast = self.slots.isEmpty && self.readState == .stopped
            released.append(Outgoing(response: response, info: info, closeConnection: isLast || !info.keepAlive))
        }
        guard !released.isEmpty else { return nil }
        var afterWrite = AfterWrite.keepOpen
        if self.slots.isEmpty && self.readState == .stopped {
            afterWrite = self.finalAction
            self.isClosing = true
        }
        var resume = false
        if self.readHeld && self.slots.count < self.limits.maxPipelinedRequests {
            self.readHeld = false
            resume = true
        }
        return Flush(responses: released, afterWrite: afterWrite, resumeReading: resume)
    }

    // MARK: Connection events

    /// The channel asks to read more; `false` holds the read until responses drain.
    mutating func readRequested() -> Bool {
        if self.slots.count >= self.limits.maxPipelinedRequests && !self.isClosing {
            self.readHeld = true
            return false
        }
        return true
    }

    /// The server is shutting down. Returns `true` when the connection can close now; otherwise
    /// the request being read and those already read are answered, the last with
    /// `Connection: close`.
    mutating func quiesce() -> Bool {
        self.quiescing = true
        switch self.readState {
        case .awaitingHead:
            self.readState = .stopped
            self.finalAction = .close
            return self.closeIfIdle()
        case .body:
            return false
        case .stopped:
            return self.closeIfIdle()
        }
    }

    /// No traffic for the idle timeout. Returns `true` when the connection should close: no
    /// handler is running for it (a request stalled half-read counts as idle).
    mutating func idleTimeout() -> Bool {
        var running = 0
        for slot in self.slots {
            if case .waiting = slot { running += 1 }
        }
        if case .body = self.readState { running -= 1 }
        guard running <= 0 else { return false }
        self.isClosing = true
        return true
    }

    /// The peer closed its sending side. Returns `true` when the connection can close now;
    /// otherwise the requests already read are answered first.
    mutating func inputClosed() -> Bool {
        if case .body = self.readState {
            // The request being read will never complete: drop it.
            self.slots.removeLast()
        }
        self.readState = .stopped
        if self.finalAction == .closeLingering { self.finalAction = .close }
        return self.closeIfIdle()
    }

    private mutating func closeIfIdle() -> Bool {
        guard self.slots.isEmpty else { return false }
        self.isClosing = true
        return true
    }
}
