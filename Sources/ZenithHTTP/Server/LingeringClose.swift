import NIOCore

/// Closing a connection whose peer may still be sending. A plain close with unread input makes
/// the kernel answer with RST, and an RST can destroy answers still on their way to the peer: a
/// client that wrote its next request, or opened streams before it saw our GOAWAY, would lose
/// the responses before them. So the output is closed first (a FIN after everything written) and
/// the input is read and dropped until the peer closes its side or ``timeout`` passes.
enum LingeringClose {
    /// How long a lingering close keeps discarding the peer's input before closing.
    static let timeout = TimeAmount.seconds(2)

    /// Closes the output and schedules the final close. Call once everything to send has been
    /// written; the handler keeps reading and dropping input, and closes when its input closes.
    static func begin(context: ChannelHandlerContext) {
        context.close(mode: .output, promise: nil)
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.timeout) {
            context.close(promise: nil)
        }
    }
}
