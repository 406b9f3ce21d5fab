import Testing

@testable import ZenithHTTP

/// The record of a connection's unanswered handlers, which a departing client cancels.
@Suite struct RunningRequestsTests {
    /// A task that waits until it is cancelled.
    private func waitingTask() -> Task<Void, Never> {
        Task { while !Task.isCancelled { await Task.yield() } }
    }

    @Test func abandoningCancelsOnlyThatRequest() async {
        let running = RunningRequests()
        let first = waitingTask()
        let second = waitingTask()
        running.start(id: 1) { first }
        running.start(id: 3) { second }
        #expect(running.count == 2)
        running.abandon(id: 1)
        #expect(first.isCancelled && !second.isCancelled)
        #expect(running.count == 1)
        running.abandonAll()
        #expect(second.isCancelled && running.count == 0)
    }

    @Test func answeredRequestsAreForgottenAndNeverCancelled() async {
        let running = RunningRequests()
        let task = waitingTask()
        running.start(id: 1) { task }
        running.answered(id: 1)
        running.abandon(id: 1)
        running.abandonAll()
        #expect(!task.isCancelled && running.count == 0)
        task.cancel()
    }

    /// A handler that answers before `start` returns its task is not recorded (it would
    /// otherwise stay recorded for the connection's life).
    @Test func answerDuringStartIsNotRecorded() async {
        let running = RunningRequests()
        let task = waitingTask()
        running.start(id: 5) {
            running.answered(id: 5)
            return task
        }
        #expect(running.count == 0)
        running.abandonAll()
        #expect(!task.isCancelled)
        task.cancel()
    }
}
