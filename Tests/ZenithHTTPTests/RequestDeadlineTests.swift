import NIOCore
import Testing

@testable import ZenithHTTP

/// The time a client may take to send one HTTP/1.1 request.
@Suite struct RequestDeadlineTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let timeout = TimeAmount.seconds(30)

    @Test func armedByTheFirstBytesOnly() {
        var deadline = RequestDeadline(timeout: timeout)
        #expect(deadline.bytesReceived(now: start) == start + timeout)
        #expect(deadline.bytesReceived(now: start + .seconds(1)) == nil, "later bytes of the same request do not restart it")
        #expect(deadline.timerFired(now: start + timeout) == .timedOut)
    }

    @Test func aRequestReadInTimeLeavesTheConnectionToTheIdleTimeout() {
        var deadline = RequestDeadline(timeout: timeout)
        _ = deadline.bytesReceived(now: start)
        deadline.requestRead()
        #expect(deadline.timerFired(now: start + timeout) == .idle)
        #expect(deadline.bytesReceived(now: start + .seconds(40)) == start + .seconds(70), "the next request arms a timer again")
    }

    /// Requests that follow while the timer is pending arm nothing; when it fires it is armed
    /// again for the one arriving then, and that one times out at its own deadline.
    @Test func aPendingTimerServesTheRequestsThatFollow() {
        var deadline = RequestDeadline(timeout: timeout)
        _ = deadline.bytesReceived(now: start)
        deadline.requestRead()
        #expect(deadline.bytesReceived(now: start + .seconds(10)) == nil, "the pending timer will look at it")
        deadline.requestRead()
        #expect(deadline.bytesReceived(now: start + .seconds(20)) == nil)
        #expect(deadline.timerFired(now: start + timeout) == .rearm(start + .seconds(50)))
        #expect(deadline.bytesReceived(now: start + .seconds(35)) == nil, "still the same request")
        #expect(deadline.timerFired(now: start + .seconds(50)) == .timedOut)
    }

    /// A timer that fires early (or for a request that started since) never times out a request
    /// before its own deadline.
    @Test func neverTimesOutARequestBeforeItsDeadline() {
        var deadline = RequestDeadline(timeout: timeout)
        let due = deadline.bytesReceived(now: start)
        #expect(due != nil)
        #expect(deadline.timerFired(now: start + .seconds(29)) == .rearm(start + timeout))
        #expect(deadline.timerFired(now: start + timeout) == .timedOut)
    }
}
