import Synchronization

/// The figures an ``HTTPClientConnection`` reports from any thread, written by its channel handler
/// on the event loop. Atomics rather than a lock: the handler stores after every change and the
/// readers only sample.
final class HTTPClientCounters: Sendable {
    /// Streams open (HTTP/2) or requests outstanding (HTTP/1.1).
    let inflight = Atomic<Int>(0)
    /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS; -1 until known (and for HTTP/1.1).
    let maxConcurrentStreams = Atomic<Int>(-1)
}
