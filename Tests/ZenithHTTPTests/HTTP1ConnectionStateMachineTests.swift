import Testing
@testable import ZenithHTTP

@Suite struct HTTP1ConnectionStateMachineTests {
    typealias Machine = HTTP1ConnectionStateMachine
    static let limits = Machine.Limits(maxBodyBytes: 100, maxHeaderListBytes: 1000, maxPipelinedRequests: 3)
    static let keepAlive = Machine.RequestInfo(keepAlive: true)

    func response(_ status: Int, _ text: String = "") -> HTTPResponse {
        HTTPResponse(status: status, body: Array(text.utf8))
    }

    /// Reads a complete body-less request and returns its id (-1 after recording a failure).
    func read(
        _ machine: inout Machine, info: Machine.RequestInfo = keepAlive, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Int {
        guard case .receiveBody = machine.receivedHead(info, contentLength: nil, expectsContinue: false),
            case .dispatch(let id) = machine.receivedEnd()
        else {
            Issue.record("the request was not dispatched", sourceLocation: sourceLocation)
            return -1
        }
        return id
    }

    @Test func pipelinedResponsesAreReleasedInRequestOrder() throws {
        var machine = Machine(limits: Self.limits)
        let first = read(&machine)
        let second = read(&machine)
        let third = read(&machine)
        #expect([first, second, third] == [0, 1, 2])

        #expect(machine.responseReady(id: third, response: response(200, "c")) == nil)
        #expect(machine.responseReady(id: second, response: response(200, "b")) == nil)
        let flushResult = machine.responseReady(id: first, response: response(200, "a"))
        let flush = try #require(flushResult)
        #expect(flush.responses.map { String(decoding: $0.response.body, as: UTF8.self) } == ["a", "b", "c"])
        #expect(flush.responses.allSatisfy { !$0.closeConnection })
        #expect(flush.afterWrite == .keepOpen)
        #expect(machine.pendingResponses == 0)
    }

    @Test func aDeclaredBodyOverTheLimitIsRefusedWith413AndTheConnectionCloses() throws {
        var machine = Machine(limits: Self.limits)
        guard case .reject(let flush?) = machine.receivedHead(Self.keepAlive, contentLength: 101, expectsContinue: true)
        else {
            Issue.record("expected an immediate rejection")
            return
        }
        #expect(flush.responses.count == 1)
        #expect(flush.responses[0].response.status == 413)
        #expect(flush.responses[0].closeConnection)
        #expect(flush.afterWrite == .closeLingering)
        #expect(machine.isClosing)
        #expect(machine.receivedBody(count: 10) == .ignore)
        #expect(machine.receivedEnd() == .ignore)
    }

    @Test func aStreamedBodyIsRefusedOnceItPassesTheLimit() throws {
        var machine = Machine(limits: Self.limits)
        guard case .receiveBody = machine.receivedHead(Self.keepAlive, contentLength: nil, expectsContinue: false) else {
            Issue.record("expected to read the body")
            return
        }
        #expect(machine.receivedBody(count: 60) == .append)
        #expect(machine.receivedBody(count: 40) == .append)
        guard case .reject(let flush?) = machine.receivedBody(count: 1) else {
            Issue.record("expected a rejection at 101 bytes")
            return
        }
        #expect(flush.responses.map(\.response.status) == [413])
        #expect(flush.afterWrite == .closeLingering)
    }

    @Test func aBodyRefusedForTheServersSakeIsAnswered503AndTheConnectionCloses() throws {
        var machine = Machine(limits: Self.limits)
        #expect(machine.refuseBody(.serverBodiesTooLarge(limit: 10)) == .ignore, "no body being read")
        guard case .receiveBody = machine.receivedHead(Self.keepAlive, contentLength: 50, expectsContinue: false) else {
            Issue.record("expected to read the body")
            return
        }
        #expect(machine.receivedBody(count: 20) == .append)
        guard case .reject(let flush?) = machine.refuseBody(.serverBodiesTooLarge(limit: 10)) else {
            Issue.record("expected the body to be refused")
            return
        }
        #expect(flush.responses.map(\.response.status) == [503])
        #expect(flush.responses.first?.response.headers["retry-after"] == "1")
        #expect(flush.afterWrite == .closeLingering, "the rest of the body is never read")
        #expect(machine.receivedBody(count: 10) == .ignore)
        #expect(machine.receivedEnd() == .ignore)
    }

    @Test func aRejectionWaitsBehindEarlierPipelinedResponses() throws {
        var machine = Machine(limits: Self.limits)
        let first = read(&machine)
        guard case .reject(let early) = machine.receivedHead(Self.keepAlive, contentLength: 1000, expectsContinue: false)
        else {
            Issue.record("expected a rejection")
            return
        }
        #expect(early == nil, "the 413 must not overtake the first response")
        let flushResult = machine.responseReady(id: first, response: response(200))
        let flush = try #require(flushResult)
        #expect(flush.responses.map(\.response.status) == [200, 413])
        #expect(flush.responses.map(\.closeConnection) == [false, true])
        #expect(flush.afterWrite == .closeLingering)
    }

    @Test func connectionCloseStopsReadingAndClosesAfterTheResponse() throws {
        var machine = Machine(limits: Self.limits)
        let id = read(&machine, info: .init(keepAlive: false))
        guard case .ignore = machine.receivedHead(Self.keepAlive, contentLength: nil, expectsContinue: false) else {
            Issue.record("requests after Connection: close must be ignored")
            return
        }
        let flushResult = machine.responseReady(id: id, response: response(200))
        let flush = try #require(flushResult)
        #expect(flush.responses.map(\.closeConnection) == [true])
        #expect(flush.afterWrite == .close)
    }

    @Test func readsAreHeldWhileTooManyResponsesArePending() throws {
        var machine = Machine(limits: Self.limits)
        let first = read(&machine)
        _ = read(&machine)
        do {
            let result = machine.readRequested()
            #expect(result)
        }
        _ = read(&machine)
        do {
            let result = machine.readRequested()
            #expect(!result, "three requests wait: hold reading")
        }
        let flushResult = machine.responseReady(id: first, response: response(200))
        let flush = try #require(flushResult)
        #expect(flush.resumeReading)
        do {
            let result = machine.readRequested()
            #expect(result)
        }
    }

    @Test func aParseErrorIsAnsweredWith400AfterPendingResponses() throws {
        var machine = Machine(limits: Self.limits)
        let first = read(&machine)
        #expect(machine.protocolError(.malformed) == nil)
        let flushResult = machine.responseReady(id: first, response: response(200))
        let flush = try #require(flushResult)
        #expect(flush.responses.map(\.response.status) == [200, 400])
        #expect(flush.afterWrite == .closeLingering)
        #expect(machine.protocolError(.malformed) == nil, "only the first error is answered")
    }

    @Test func oversizedHeadersAreAnsweredWith431() throws {
        var machine = Machine(limits: Self.limits)
        let flushResult = machine.protocolError(.headerListTooLarge(limit: 1000))
        let flush = try #require(flushResult)
        #expect(flush.responses.map(\.response.status) == [431])
        #expect(String(decoding: flush.responses[0].response.body, as: UTF8.self).hasPrefix(#"{"error":""#))
    }

    @Test func quiescingClosesAnIdleConnectionAtOnce() {
        var machine = Machine(limits: Self.limits)
        do {
            let result = machine.quiesce()
            #expect(result)
        }
    }

    @Test func quiescingLetsInFlightRequestsFinishWithConnectionClose() throws {
        var machine = Machine(limits: Self.limits)
        let id = read(&machine)
        do {
            let result = machine.quiesce()
            #expect(!result)
        }
        guard case .ignore = machine.receivedHead(Self.keepAlive, contentLength: nil, expectsContinue: false) else {
            Issue.record("no new request after quiescing")
            return
        }
        let flushResult = machine.responseReady(id: id, response: response(200))
        let flush = try #require(flushResult)
        #expect(flush.responses.map(\.closeConnection) == [true])
        #expect(flush.afterWrite == .close)
    }

    @Test func quiescingMidBodyFinishesThatRequestFirst() throws {
        var machine = Machine(limits: Self.limits)
        _ = machine.receivedHead(Self.keepAlive, contentLength: 5, expectsContinue: false)
        do {
            let result = machine.quiesce()
            #expect(!result)
        }
        #expect(machine.receivedBody(count: 5) == .append)
        guard case .dispatch(let id) = machine.receivedEnd() else {
            Issue.record("the request being read is still served")
            return
        }
        let flushResult = machine.responseReady(id: id, response: response(200))
        let flush = try #require(flushResult)
        #expect(flush.afterWrite == .close)
    }

    @Test func idleTimeoutSparesConnectionsWithRunningHandlers() throws {
        var machine = Machine(limits: Self.limits)
        let id = read(&machine)
        do {
            let result = machine.idleTimeout()
            #expect(!result)
        }
        _ = machine.responseReady(id: id, response: response(200))
        do {
            let result = machine.idleTimeout()
            #expect(result)
        }
    }

    @Test func idleTimeoutClosesAConnectionStalledMidBody() {
        var machine = Machine(limits: Self.limits)
        _ = machine.receivedHead(Self.keepAlive, contentLength: 50, expectsContinue: false)
        #expect(machine.receivedBody(count: 10) == .append)
        do {
            let result = machine.idleTimeout()
            #expect(result)
        }
    }

    @Test func continueIsSentOnlyWhenNoEarlierResponseIsPending() throws {
        var machine = Machine(limits: Self.limits)
        guard case .receiveBody(let first) = machine.receivedHead(Self.keepAlive, contentLength: 3, expectsContinue: true)
        else {
            Issue.record("expected to read the body")
            return
        }
        #expect(first)
        _ = machine.receivedBody(count: 3)
        _ = machine.receivedEnd()
        guard case .receiveBody(let second) = machine.receivedHead(Self.keepAlive, contentLength: 3, expectsContinue: true)
        else {
            Issue.record("expected to read the body")
            return
        }
        #expect(!second)
    }

    @Test func halfClosedInputStillGetsItsResponses() throws {
        var machine = Machine(limits: Self.limits)
        let id = read(&machine)
        do {
            let result = machine.inputClosed()
            #expect(!result)
        }
        let flushResult = machine.responseReady(id: id, response: response(200))
        let flush = try #require(flushResult)
        #expect(flush.afterWrite == .close)
    }
}

extension HTTP1ConnectionStateMachine.BodyAction: Equatable {
    static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.append, .append), (.ignore, .ignore): true
        case (.reject, .reject): true
        default: false
        }
    }
}
