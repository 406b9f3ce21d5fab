import Glibc
import Synchronization

/// CPU time consumed so far, from the kernel's per-process and per-thread clocks, in nanoseconds.
enum CPUTime {
    /// All threads of the process.
    static var process: UInt64 { read(CLOCK_PROCESS_CPUTIME_ID) }
    /// The calling thread.
    static var thread: UInt64 { read(CLOCK_THREAD_CPUTIME_ID) }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        guard clock_gettime(clock, &time) == 0 else { return 0 }
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

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
