import Glibc

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
