import Synchronization

/// CPU time the process's idle pollers have used: time the cores would otherwise have idled, which
/// the controllers must not mistake for work competing with their workers (`WorkerCapacity`).
public final class IdleCPUTime: Sendable {
    private let nanos = Atomic<UInt64>(0)

    public init() {}

    var total: UInt64 { nanos.load(ordering: .relaxed) }

    func add(_ value: UInt64) {
        nanos.add(value, ordering: .relaxed)
    }
}
