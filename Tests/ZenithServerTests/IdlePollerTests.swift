import Foundation
import Logging
import Testing

@testable import ZenithServer

@Suite struct IdlePollerTests {
    /// This process's threads named like pollers: their ids and scheduling policies (`/proc`'s
    /// field 41).
    private func pollers() -> [(id: Int, policy: Int)] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { task in
            guard let id = Int(task),
                let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"),
                stat[stat.index(after: open)..<close].hasPrefix("zenith-idle-")
            else { return nil }
            // Fields from the third on follow the name: the policy is field 41.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 38 ? Int(fields[38]).map { (id, $0) } : nil
        }
    }

    private func pollerPolicies() -> [Int] { pollers().map(\.policy) }

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
        #expect(cpuTime.threadIDs == Set(pollers().map(\.id)))
        poller.stop()
        try await waitUntil { poller.pollingThreads == 0 && pollerPolicies().isEmpty }
        #expect(poller.pollingThreads == 0)
        #expect(pollerPolicies().isEmpty, "the pollers end when stopped")
        #expect(cpuTime.threadIDs.isEmpty, "their ids are not left to threads that may reuse them")
        // What they polled is reported, for the controllers to leave out of the process's CPU time.
        #expect(cpuTime.total > 0)
    }
}
