/// How long an HTTP/1.1 client may take to send one request, from the first byte read after the
/// previous request to the request's last byte.
///
/// Without it, a client that drips a request head a byte at a time holds a connection slot
/// for ever: every byte restarts the idle timer. The caller arms a timer when ``bytesReceived()``
/// says a request started, disarms it when ``requestRead()`` says so, and answers 408 and closes
/// when ``expired()`` says the request is still arriving.
struct RequestDeadline {
    private var receiving = false

    /// Bytes arrived. Returns `true` when they start a request: arm the timer.
    mutating func bytesReceived() -> Bool {
        guard !self.receiving else { return false }
        self.receiving = true
        return true
    }

    /// A request was read to its end. Returns `true` if a timer is armed: cancel it.
    mutating func requestRead() -> Bool {
        defer { self.receiving = false }
        return self.receiving
    }

    /// The timer fired. Returns `true` if a request is still arriving: answer 408 and close.
    func expired() -> Bool {
        self.receiving
    }
}
