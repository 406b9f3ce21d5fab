import Testing
@testable import ZenithHTTP

@Suite struct HTTP2StreamStateTests {
    static let limits = HTTP2StreamState.Limits(maxBodyBytes: 10, maxHeaderListBytes: 200)

    func add(_ state: inout HTTP2StreamState, _ name: String, _ value: String) -> Bool {
        guard state.admitHeader(nameLength: name.utf8.count, valueLength: value.utf8.count) else { return false }
        state.addHeader(name: name, value: value)
        return true
    }

    func receive(_ state: inout HTTP2StreamState, _ text: String) -> HTTP2StreamState.DataAction {
        Array(text.utf8).withUnsafeBytes { state.receivedData($0) }
    }

    @Test func aGETIsDispatchedWithPseudoHeadersMappedToTheRequest() {
        var state = HTTP2StreamState(limits: .init(maxBodyBytes: 10, maxHeaderListBytes: 1000))
        do {
            let added = add(&state, ":method", "GET")
            #expect(added)
        }
        do {
            let added = add(&state, ":scheme", "http")
            #expect(added)
        }
        do {
            let added = add(&state, ":path", "/v2/health/ready?x=1")
            #expect(added)
        }
        do {
            let added = add(&state, ":authority", "example:8000")
            #expect(added)
        }
        do {
            let added = add(&state, "accept", "*/*")
            #expect(added)
        }
        #expect(state.headerBlockComplete(endStream: true, at: 1) == .dispatch)
        let request = state.takeRequest(remoteAddress: "127.0.0.1:1")
        #expect(request.method == "GET")
        #expect(request.path == "/v2/health/ready?x=1")
        #expect(request.headers["host"] == "example:8000")
        #expect(request.headers["accept"] == "*/*")
        #expect(request.version == .http2)
        #expect(request.remoteAddress == "127.0.0.1:1")
        #expect(state.remoteEnded() == .ignore, "dispatched once")
    }

    @Test func aPOSTIsDispatchedWhenTheStreamEnds() {
        var state = HTTP2StreamState(limits: Self.limits)
        _ = add(&state, ":method", "POST")
        _ = add(&state, ":path", "/infer")
        #expect(state.headerBlockComplete(endStream: false, at: 1) == .wait)
        #expect(receive(&state, "hello") == .appended)
        #expect(receive(&state, "12345") == .appended)
        #expect(state.remoteEnded() == .dispatch)
        #expect(state.takeRequest(remoteAddress: nil).body == Array("hello12345".utf8))
    }

    @Test func theHeaderListLimitCountsThirtyTwoBytesPerField() {
        var state = HTTP2StreamState(limits: Self.limits)
        #expect(add(&state, ":method", "GET"))  // 7 + 3 + 32 = 42
        #expect(add(&state, "a", String(repeating: "x", count: 100)))  // 42 + 133 = 175
        do {
            let added = add(&state, "b", "1234567")
            #expect(!added, "175 + 40 = 215 > 200")
        }
        do {
            let added = add(&state, "c", "")
            #expect(!added, "nothing is kept once over the limit")
        }
        #expect(state.headers.isEmpty, "what was kept is dropped")
        #expect(state.headerBlockComplete(endStream: true, at: 1) == .reject(.headerListTooLarge(limit: 200)))
        #expect(state.headerBlockComplete(endStream: true, at: 1) == .ignore, "rejected once")
    }

    @Test func aDeclaredContentLengthOverTheLimitIsRejectedBeforeTheBody() {
        var state = HTTP2StreamState(limits: Self.limits)
        _ = add(&state, ":method", "POST")
        _ = add(&state, "content-length", "11")
        #expect(state.headerBlockComplete(endStream: false, at: 1) == .reject(.bodyTooLarge(limit: 10)))
        #expect(receive(&state, "x") == .discarded)
        #expect(state.remoteEnded() == .ignore)
    }

    @Test func aStreamedBodyOverTheLimitIsRejectedOnceAndThenDiscarded() {
        var state = HTTP2StreamState(limits: Self.limits)
        _ = add(&state, ":method", "POST")
        #expect(state.headerBlockComplete(endStream: false, at: 1) == .wait)
        #expect(receive(&state, "123456") == .appended)
        #expect(receive(&state, "12345") == .reject(.bodyTooLarge(limit: 10)))
        #expect(state.body.isEmpty, "the partial body is released")
        #expect(receive(&state, "1") == .discarded)
        #expect(state.remoteEnded() == .ignore)
    }

    @Test func aBodyRefusedForTheConnectionsSakeIsDroppedAndAnsweredOnce() {
        var state = HTTP2StreamState(limits: Self.limits)
        _ = add(&state, ":method", "POST")
        #expect(state.headerBlockComplete(endStream: false, at: 1) == .wait)
        #expect(receive(&state, "1234") == .appended)
        #expect(state.refuseBody(.connectionBodiesTooLarge(limit: 64)) == .reject(.connectionBodiesTooLarge(limit: 64)))
        #expect(state.body.isEmpty)
        #expect(state.refuseBody(.connectionBodiesTooLarge(limit: 64)) == .discarded)
        #expect(receive(&state, "5") == .discarded)
        #expect(state.remoteEnded() == .ignore)
        #expect(TransportRejection.connectionBodiesTooLarge(limit: 64).status == 429)
    }

    @Test func aBodyRefusedForTheServersSakeIsAnswered503AndNoLongerAccepted() {
        var state = HTTP2StreamState(limits: Self.limits)
        _ = add(&state, ":method", "POST")
        #expect(state.headerBlockComplete(endStream: false, at: 1) == .wait)
        #expect(state.acceptsBody)
        #expect(receive(&state, "1234") == .appended)
        #expect(state.refuseBody(.serverBodiesTooLarge(limit: 64)) == .reject(.serverBodiesTooLarge(limit: 64)))
        #expect(!state.acceptsBody)
        #expect(state.body.isEmpty)
        let response = TransportRejection.serverBodiesTooLarge(limit: 64).response
        #expect(response.status == 503)
        #expect(response.headers["retry-after"] == "1")
    }

    @Test func headAndBodilessStatusesSendNoData() {
        var head = HTTP2StreamState(limits: Self.limits)
        _ = add(&head, ":method", "HEAD")
        let headPlan = head.setResponse(status: 200, body: [1, 2, 3])
        #expect(headPlan == .init(sendsContentLength: true, sendsBody: false))

        var noContent = HTTP2StreamState(limits: Self.limits)
        let noContentPlan = noContent.setResponse(status: 204, body: [1])
        #expect(noContentPlan == .init(sendsContentLength: false, sendsBody: false))

        var empty = HTTP2StreamState(limits: Self.limits)
        let emptyPlan = empty.setResponse(status: 200, body: [])
        #expect(emptyPlan == .init(sendsContentLength: true, sendsBody: false))
    }

    @Test func headersArriveAsRawBytesAndAreCheckedBeforeBecomingStrings() {
        var state = HTTP2StreamState(limits: Self.limits)
        let name = Array("x-long".utf8)
        let value = [UInt8](repeating: UInt8(ascii: "v"), count: 300)
        name.withUnsafeBufferPointer { name in
            value.withUnsafeBufferPointer { value in state.receiveHeader(name: name, value: value) }
        }
        #expect(state.headers.isEmpty)
        #expect(state.headerBlockComplete(endStream: true, at: 1) == .reject(.headerListTooLarge(limit: 200)))
    }

    @Test func trailersAreCountedButNotKept() {
        var state = HTTP2StreamState(limits: Self.limits)
        _ = add(&state, ":method", "POST")
        #expect(state.headerBlockComplete(endStream: false, at: 1) == .wait)
        do {
            let added = add(&state, "x-trailer", "1")
            #expect(added)
        }
        #expect(state.headers["x-trailer"] == nil)
        #expect(state.headerBlockComplete(endStream: true, at: 2) == .dispatch)
        // The request arrived with its headers, not its trailers.
        #expect(state.takeRequest(remoteAddress: nil).receivedNanos == 1)
    }

    @Test func theResponseBodyIsServedInSlicesUntilTheEnd() {
        var state = HTTP2StreamState(limits: Self.limits)
        let first = state.setResponse(status: 200, body: Array("abcdefg".utf8))
        let second = state.setResponse(status: 200, body: [])
        #expect(first == .init(sendsContentLength: true, sendsBody: true))
        #expect(second == nil, "one response per stream")
        var destination = [UInt8](repeating: 0, count: 4)
        let slice1 = destination.withUnsafeMutableBytes { state.readResponse(into: $0) }
        #expect(slice1.count == 4 && !slice1.isEnd)
        #expect(destination == Array("abcd".utf8))
        let slice2 = destination.withUnsafeMutableBytes { state.readResponse(into: $0) }
        #expect(slice2.count == 3 && slice2.isEnd)
        #expect(destination[0..<3] == Array("efg".utf8)[...])
    }
}
