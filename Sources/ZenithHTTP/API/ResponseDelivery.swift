import Dispatch
import Synchronization

/// Tells the handler when its response left: the monotonic time (`DispatchTime` uptime
/// nanoseconds, `CLOCK_MONOTONIC`) at which the transport handed the response's last byte to
/// the socket, or `nil` if it never will (the connection closed or the stream was reset first).
///
/// Attach one to an ``HTTPResponse``; the transport reports exactly once. Whatever copy of the
/// response is dropped last without having been sent reports `nil`, so no path can forget it.
public final class ResponseDelivery: Sendable {
    private let report: @Sendable (UInt64?) -> Void
    private let reported = Atomic<Bool>(false)

    /// - Parameter report: called once, on whichever thread sends or drops the response.
    public init(_ report: @escaping @Sendable (UInt64?) -> Void) {
        self.report = report
    }

    /// The last byte was handed to the socket now.
    func sent() {
        self.finish(DispatchTime.now().uptimeNanoseconds)
    }

    private func finish(_ nanos: UInt64?) {
        guard !self.reported.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.report(nanos)
    }

    deinit {
        self.finish(nil)
    }
}
