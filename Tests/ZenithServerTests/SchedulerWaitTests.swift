import Foundation
import Testing

@testable import ZenithServer

@Suite struct SchedulerWaitTests {
    /// The calling thread is one of the process's threads, and the sums over it alone (every other
    /// thread left out) are its own: some running time, no more than its CPU clock reads after.
    @Test func sumsTheThreadsNotLeftOut() throws {
        var sum = 0.0
        for value in 0..<2_000_000 { sum += Double(value).squareRoot() }
        #expect(sum > 0)
        let id = try #require(SchedulerWait.currentThreadID)
        let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap { Int($0) }
        #expect(threads.contains(id))
        let mine = try #require(SchedulerWait.read(excluding: Set(threads).subtracting([id])))
        let after = CPUTime.thread
        #expect(mine.runningNanos > 0)
        #expect(mine.runningNanos <= after, "\(mine.runningNanos) ns on a core, \(after) ns by the thread's clock")
    }
}
