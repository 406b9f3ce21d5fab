import Testing

@testable import ZenithHTTP

/// The time a client may take to send one HTTP/1.1 request.
@Suite struct RequestDeadlineTests {
    @Test func armedByTheFirstBytesOnlyAndDisarmedWhenTheRequestIsRead() {
        var deadline = RequestDeadline()
        let first = deadline.bytesReceived()
        let more = deadline.bytesReceived()
        #expect(first && !more, "later bytes of the same request do not restart it")
        #expect(deadline.expired())
        let disarm = deadline.requestRead()
        #expect(disarm && !deadline.expired(), "an idle connection is the idle timeout's business")
        let again = deadline.requestRead()
        #expect(!again)
        let next = deadline.bytesReceived()
        #expect(next, "the next request starts its own deadline")
    }
}
