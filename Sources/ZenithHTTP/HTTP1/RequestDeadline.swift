import NIOCore

/// How long an HTTP/1.1 client may take to send one request, from the first byte read after the
/// previous request to the request's last byte.
///
/// Without it, a client that drips a request head a byte at a time holds a connection slot
/// for ever: every byte restarts the idle timer.
///
/// The timer is lazy: one per connection, armed by a request that starts when none is pending,
/// and neither cancelled nor re-armed as requests come and go. When it fires it looks at the
/// request arriving then: late, and the caller answers 408 and closes; started since, and it is
/// armed again for that request's deadline. A keep-alive connection answering thousands of
/// requests a second then schedules a timer about once per timeout, not once per request with a
/// cancellation (each an allocation, a heap update and a failed promise on the event loop).
struct RequestDeadline {
    let timeout: TimeAmount
    /// When the request now arriving started; `nil` between requests.
    private var startedAt: NIODeadline?
    private var timerPending = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    /// Bytes arrived at `now`. Returns when to fire a timer, if one must be armed: the bytes start
    /// a request and no timer is pending.
    mutating func bytesReceived(now: NIODeadline) -> NIODeadline? {
        guard self.startedAt == nil else { return nil }
        self.startedAt = now
        guard !self.timerPending else { return nil }
        self.timerPending = true
        return now + self.timeout
    }

    /// A request was read to its end.
    mutating func requestRead() {
        self.startedAt = nil
    }

    enum Expiry: Equatable {
        /// Nothing is arriving: no timer until the next request starts.
        case idle
        /// A request started after the one that armed the timer: fire again at its deadline.
        case rearm(NIODeadline)
        /// The request arriving has had its time: answer 408 and close.
        case timedOut
    }

    /// The timer fired at `now`.
    mutating func timerFired(now: NIODeadline) -> Expiry {
        self.timerPending = false
        guard let started = self.startedAt else { return .idle }
        let due = started + self.timeout
        guard now < due else { return .timedOut }
        self.timerPending = true
        return .rearm(due)
    }
}
