import Testing
@testable import ZenithHTTP

@Suite struct ProtocolSnifferTests {
    @Test func anHTTP1RequestIsRecognisedFromItsFirstByte() {
        var sniffer = ProtocolSniffer()
        #expect(sniffer.feed(Array("GET / HTTP/1.1\r\n".utf8)) == .http1)
        #expect(sniffer.feed(ProtocolSniffer.preface) == .http1, "the decision sticks")
    }

    @Test func theFullPrefaceMeansHTTP2() {
        var sniffer = ProtocolSniffer()
        #expect(sniffer.feed(ProtocolSniffer.preface + [0, 0, 0, 4]) == .http2)
        #expect(sniffer.feed(Array("GET".utf8)) == .http2, "the decision sticks")
    }

    @Test func aPrefaceSplitAcrossReadsNeedsEveryByte() {
        var sniffer = ProtocolSniffer()
        let preface = ProtocolSniffer.preface
        #expect(sniffer.feed(preface[0..<1]) == .needMoreBytes)
        #expect(sniffer.feed(preface[1..<10]) == .needMoreBytes)
        #expect(sniffer.feed(preface[10..<23]) == .needMoreBytes)
        #expect(sniffer.matched == 23)
        #expect(sniffer.feed(preface[23...]) == .http2)
    }

    @Test func methodsSharingThePrefacesFirstLettersAreHTTP1() {
        var post = ProtocolSniffer()
        #expect(post.feed(Array("P".utf8)) == .needMoreBytes)
        #expect(post.feed(Array("OST / HTTP/1.1\r\n".utf8)) == .http1)

        var pri = ProtocolSniffer()
        #expect(pri.feed(Array("PRI * HTTP/1.1\r\n".utf8)) == .http1)
    }

    @Test func noBytesDecidesNothing() {
        var sniffer = ProtocolSniffer()
        #expect(sniffer.feed([UInt8]()) == .needMoreBytes)
    }
}

@Suite struct ConnectionTrackerTests {
    @Test func connectionsOverTheLimitAreRejectedUntilOneCloses() {
        var tracker = ConnectionTracker<Int>(maxConnections: 2)
        #expect(tracker.accepted(1) == .accept)
        #expect(tracker.accepted(2) == .accept)
        #expect(tracker.accepted(3) == .reject)
        #expect(tracker.openCount == 2)
        #expect(tracker.closed(1) == .none)
        #expect(tracker.accepted(4) == .accept)
        #expect(tracker.closed(99) == .none, "unknown keys are ignored")
        #expect(tracker.openCount == 2)
    }

    @Test func shutdownQuiescesOpenConnectionsAndCompletesWhenTheLastCloses() {
        var tracker = ConnectionTracker<Int>(maxConnections: 10)
        _ = tracker.accepted(1)
        _ = tracker.accepted(2)
        guard case .quiesce(let keys) = tracker.beginShutdown() else {
            Issue.record("expected quiesce")
            return
        }
        #expect(Set(keys) == [1, 2])
        #expect(tracker.beginShutdown() == .none, "a second request changes nothing")
        #expect(tracker.accepted(3) == .reject, "nothing new is admitted while shutting down")
        #expect(tracker.closed(1) == .none)
        #expect(tracker.closed(2) == .shutdownCompleted)
    }

    @Test func oneClientCannotHoldMoreThanItsShare() {
        var tracker = ConnectionTracker<Int>(maxConnections: 10, maxPerClient: 2)
        #expect(tracker.accepted(1, client: "a") == .accept)
        #expect(tracker.accepted(2, client: "a") == .accept)
        #expect(tracker.accepted(3, client: "a") == .reject)
        #expect(tracker.accepted(4, client: "b") == .accept)
        _ = tracker.closed(1)
        #expect(tracker.accepted(5, client: "a") == .accept, "a closed connection frees its client's slot")
    }

    /// At the overall limit a newcomer displaces the heaviest client's oldest connection, as
    /// long as that client keeps more than the newcomer's client would have.
    @Test func atTheLimitTheHeaviestClientMakesRoom() {
        var tracker = ConnectionTracker<Int>(maxConnections: 4)
        for key in 1...3 { _ = tracker.accepted(key, client: "greedy") }
        #expect(tracker.accepted(4, client: "b") == .accept)
        #expect(tracker.accepted(5, client: "c") == .acceptEvicting(1), "the greedy client's oldest")
        #expect(tracker.closed(1) == .none, "already forgotten")
        #expect(tracker.openCount == 4)
        // greedy 2, b 1, c 1: another newcomer still takes from greedy ...
        #expect(tracker.accepted(6, client: "d") == .acceptEvicting(2))
        // ... but now every client holds one: nothing fair to displace.
        #expect(tracker.accepted(7, client: "e") == .reject)
        #expect(tracker.accepted(8, client: "b") == .reject, "b would hold two while others hold one")
    }

    @Test func shutdownWithNothingOpenCompletesAtOnce() {
        var tracker = ConnectionTracker<Int>(maxConnections: 10)
        #expect(tracker.beginShutdown() == .completed)
        #expect(tracker.accepted(1) == .reject)
    }
}
