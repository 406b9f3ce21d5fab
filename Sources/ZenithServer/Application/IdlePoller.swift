import Foundation
import Glibc
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the process's cores from going idle, as the guest `haltpoll` cpuidle driver does: one
/// thread per core, at the idle scheduling class, yielding in a loop.
///
/// On a virtual machine an idle vCPU halts, and whatever wakes it next (a request arriving, a
/// batch handed to a worker, an answer handed back to an event loop) first waits for the
/// hypervisor to resume it, and a request crosses several such hand-offs (on a 2-vCPU VM, 30 s of
/// the README's CNN headline load: 95–96% of requests in time without polling, 99% with it). A
/// thread of the idle class runs only when nothing else wants the core and gives way to any
/// thread that wakes, so the work itself is not slowed; the cost is power, and the cores showing
/// 100% busy.
final class IdlePoller: Service, Sendable {
    let threads: Int
    private let cpuTime: IdleCPUTime
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let failed = Atomic<Int>(0)
    private let polling = Atomic<Int>(0)

    /// - Parameters:
    ///   - threads: pollers to start, one per core the process may use.
    ///   - cpuTime: where the pollers add the CPU time they use.
    ///   - logger: where a poller that could not take the idle class says so.
    init(threads: Int, cpuTime: IdleCPUTime = IdleCPUTime(), logger: Logger) {
        self.threads = max(threads, 1)
        self.cpuTime = cpuTime
        self.logger = logger
    }

    /// Pollers that took the idle class and are polling now.
    var pollingThreads: Int { polling.load(ordering: .relaxed) }

    func run() async throws {
        start()
        try? await Task.sleep(for: .milliseconds(100))
        if failed.load(ordering: .relaxed) > 0 {
            logger.warning("idle polling is off: the scheduler refused the idle class (SCHED_IDLE)")
        }
        // Until graceful shutdown or cancellation; the pollers end with the service.
        try? await gracefulShutdown()
        stop()
    }

    /// Starts the threads (once).
    func start() {
        for index in 0..<threads {
            let thread = Thread { [self] in
                ThreadName.set("zenith-idle-\(index)")
                self.poll()
            }
            thread.start()
        }
    }

    /// Tells the threads to end; they do within one `sched_yield`.
    func stop() {
        stopping.store(true, ordering: .relaxed)
    }

    private func poll() {
        var parameters = sched_param()
        // SCHED_IDLE (5) is behind _GNU_SOURCE, which Swift's Glibc module does not define. At
        // normal priority a poller would take CPU time from the work: without the class, none.
        guard sched_setscheduler(0, 5, &parameters) == 0 else {
            failed.add(1, ordering: .relaxed)
            return
        }
        polling.add(1, ordering: .relaxed)
        let threadID = cpuTime.registerCurrentThread()
        // Its CPU time is reported every few hundred yields (tens of microseconds of polling).
        var reported = CPUTime.thread
        var yields = 0
        while !stopping.load(ordering: .relaxed) {
            sched_yield()
            yields += 1
            if yields % 256 == 0 {
                let now = CPUTime.thread
                cpuTime.add(now - reported)
                reported = now
            }
        }
        cpuTime.add(CPUTime.thread - reported)
        if let threadID { cpuTime.unregister(threadID) }
        polling.subtract(1, ordering: .relaxed)
    }
}
