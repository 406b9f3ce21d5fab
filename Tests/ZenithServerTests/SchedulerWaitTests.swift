import Foundation
import Testing

@testable import ZenithServer

@Suite struct SchedulerWaitTests {
    /// The calling thread is one of the process's threads, and the sums over it alone (every other
    /// thread left out) are its own: some running time, no more than its CPU clock reads after.
    @Test func sumsTheThreadsNotLeftOut() throws {
        spin()
        let id = try #require(SchedulerWait.currentThreadID)
        let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap { Int($0) }
        #expect(threads.contains(id))
        var files = ThreadStatFiles()
        let read = files.read(excluding: Set(threads).subtracting([id]), now: .now)
        let mine = try #require(read)
        let after = CPUTime.thread
        #expect(mine.runningNanos > 0)
        #expect(mine.runningNanos <= after, "\(mine.runningNanos) ns on a core, \(after) ns by the thread's clock")
    }

    /// A file kept open reads the thread's current figures again, not the first read's.
    @Test func aKeptFileReadsTheNewFigures() throws {
        let id = try #require(SchedulerWait.currentThreadID)
        let others = Set(try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap { Int($0) })
            .subtracting([id])
        var files = ThreadStatFiles()
        let start = ContinuousClock.now
        let firstRead = files.read(excluding: others, now: start)
        let first = try #require(firstRead)
        let before = CPUTime.thread
        spin()
        let ran = CPUTime.thread - before
        // The same instant: no new listing, so the second figure comes from the open file.
        let secondRead = files.read(excluding: others, now: start)
        let second = try #require(secondRead)
        #expect(second.runningNanos >= first.runningNanos + ran / 2, "\(first.runningNanos) then \(second.runningNanos) ns; \(ran) ns ran between")
    }

    /// Some CPU time on the calling thread.
    private func spin() {
        var sum = 0.0
        for value in 0..<2_000_000 { sum += Double(value).squareRoot() }
        #expect(sum > 0)
    }
}
