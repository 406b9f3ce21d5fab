import Synchronization

/// CPU time the process's idle pollers have used: time the cores would otherwise have idled, which
/// the controllers must not mistake for work competing with their workers (`WorkerCapacity`);
/// and the pollers' thread ids, since they wait for a core by design (`SchedulerWait`).
public final class IdleCPUTime: Sendable {
    private let nanos = Atomic<UInt64>(0)
    private let threads = Locked<Set<Int>>([])

    public init() {}

    var total: UInt64 { nanos.load(ordering: .relaxed) }

    var threadIDs: Set<Int> { threads.withLock { $0 } }

    func add(_ value: UInt64) {
        nanos.add(value, ordering: .relaxed)
    }

    /// Called by each poller on its own thread; returns the id to `unregister` when it ends (a
    /// later thread may be given the same id).
    func registerCurrentThread() -> Int? {
        guard let id = SchedulerWait.currentThreadID else { return nil }
        threads.withLock { _ = $0.insert(id) }
        return id
    }

    func unregister(_ id: Int) {
        threads.withLock { _ = $0.remove(id) }
    }
}
