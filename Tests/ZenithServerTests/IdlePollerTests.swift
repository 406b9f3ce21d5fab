import Foundation
import Logging
import Testing

@testable import ZenithServer

@Suite struct IdlePollerTests {
    /// This process's threads named like pollers, with their scheduling policy (`/proc`'s field 41).
    private func pollerPolicies() -> [Int] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { task in
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"),
                stat[stat.index(after: open)..<close].hasPrefix("zenith-idle-")
            else { return nil }
            // Fields from the third on follow the name: the policy is field 41.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 38 ? Int(fields[38]) : nil
        }
    }

    /// This process's threads named like pollers.
    private func pollerThreadIDs() -> [Int] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { task in
            guard let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                name.hasPrefix("zenith-idle-")
            else { return nil }
            return Int(task)
        }
    }

    /// Waits, generously: under a full parallel test run new threads and tasks can wait seconds
    /// for a core.
    private func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    @Test func pollersRunAtTheIdleClassAndEndWhenStopped() async throws {
        let cpuTime = IdleCPUTime()
        let poller = IdlePoller(
            threads: 2, cpuTime: cpuTime, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        poller.start()
        try await waitUntil { poller.pollingThreads == 2 }
        #expect(poller.pollingThreads == 2)
        #expect(pollerPolicies() == [5, 5], "two pollers at SCHED_IDLE (5)")
        // Their threads are known, for the scheduler statistics to leave out.
        try await waitUntil { cpuTime.threadIDs.count == 2 }
        #expect(cpuTime.threadIDs == Set(pollerThreadIDs()))
        poller.stop()
        try await waitUntil { poller.pollingThreads == 0 && pollerPolicies().isEmpty }
        #expect(poller.pollingThreads == 0)
        #expect(pollerPolicies().isEmpty, "the pollers end when stopped")
        // What they polled is reported, for the controllers to leave out of the process's CPU time.
        #expect(cpuTime.total > 0)
    }
}
