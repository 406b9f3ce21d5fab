import Foundation
import Logging
import ServiceLifecycle
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

    private func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { return }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func pollersRunAtTheIdleClassAndEndWithTheService() async throws {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let group = ServiceGroup(services: [IdlePoller(threads: 2, logger: logger)], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await waitUntil { pollerPolicies().count == 2 }
            #expect(pollerPolicies() == [5, 5], "two pollers at SCHED_IDLE (5)")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            try await waitUntil { pollerPolicies().isEmpty }
            #expect(pollerPolicies().isEmpty, "the pollers end with the service")
        }
    }
}
