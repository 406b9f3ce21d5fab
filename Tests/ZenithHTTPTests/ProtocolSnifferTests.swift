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

    @Test func shutdownWithNothingOpenCompletesAtOnce() {
        var tracker = ConnectionTracker<Int>(maxConnections: 10)
        #expect(tracker.beginShutdown() == .completed)
        #expect(tracker.accepted(1) == .reject)
    }
}
