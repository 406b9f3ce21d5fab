import Foundation
import Glibc

/// How long the process's threads have run on a core and waited runnable for one, from the
/// kernel's per-thread scheduler statistics (`/proc/self/task/*/schedstat`: nanoseconds on a
/// core, nanoseconds waiting on a run queue, time slices).
///
/// The process's CPU clock says what the process used, not what it was denied: a neighbour that
/// takes half of the server's core leaves the process's own split unchanged, and the controller
/// would plan on the whole core. Time spent runnable but waiting is what the neighbour took.
enum SchedulerWait {
    struct Totals {
        var runningNanos: UInt64 = 0
        var waitingNanos: UInt64 = 0
    }

    /// The sums over the process's threads except `excluded` (idle pollers, which wait by
    /// design); `nil` where the kernel keeps no such statistics.
    static func read(excluding excluded: Set<Int>) -> Totals? {
        files.withLock { $0.read(excluding: excluded, now: .now) }
    }

    /// One table for the process: every scheduler samples the same threads.
    private static let files = Locked(ThreadStatFiles())

    /// The calling thread's id, as `/proc/self/task` names it.
    static var currentThreadID: Int? {
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self") else {
            return nil
        }
        return link.split(separator: "/").last.flatMap { Int($0) }
    }
}

/// Each thread's `schedstat` file, kept open and read again from its start.
///
/// The schedulers sample these files every few tens of milliseconds on the thread that answers
/// requests; opening a file for each sample costs five system calls a thread (open, stat, two
/// reads, close) and Foundation's file handle around them, a re-read costs one. Threads come and
/// go rarely, so the folder is listed again only every `relistInterval`; a thread that started
/// since is counted from the next listing. A file that no longer reads (its thread ended) is
/// closed at once, so that a later thread given the same id is opened afresh.
struct ThreadStatFiles: ~Copyable {
    static let relistInterval: Duration = .seconds(1)

    private var descriptors: [Int: Int32] = [:]
    private var listedAt: ContinuousClock.Instant?

    init() {}

    deinit {
        for descriptor in descriptors.values { close(descriptor) }
    }

    /// The sums over the listed threads except `excluded`; `nil` when none could be read.
    mutating func read(excluding excluded: Set<Int>, now: ContinuousClock.Instant) -> SchedulerWait.Totals? {
        if listedAt.map({ now - $0 >= Self.relistInterval }) ?? true {
            relist()
            listedAt = now
        }
        var totals = SchedulerWait.Totals()
        var found = false
        var bytes = [UInt8](repeating: 0, count: 128)
        var ended: [Int] = []
        for (thread, descriptor) in descriptors where !excluded.contains(thread) {
            let count = pread(descriptor, &bytes, bytes.count, 0)
            guard count > 0 else {
                ended.append(thread)
                continue
            }
            guard let fields = Self.fields(bytes[..<count]) else { continue }
            totals.runningNanos &+= fields.running
            totals.waitingNanos &+= fields.waiting
            found = true
        }
        for thread in ended {
            if let descriptor = descriptors.removeValue(forKey: thread) { close(descriptor) }
        }
        return found ? totals : nil
    }

    private mutating func relist() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return }
        let threads = Set(names.compactMap { Int($0) })
        for (thread, descriptor) in descriptors where !threads.contains(thread) {
            close(descriptor)
            descriptors[thread] = nil
        }
        for thread in threads where descriptors[thread] == nil {
            let descriptor = open("/proc/self/task/\(thread)/schedstat", O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 { descriptors[thread] = descriptor }
        }
    }

    /// The first two fields of a `schedstat` line: "running waiting slices".
    private static func fields(_ bytes: ArraySlice<UInt8>) -> (running: UInt64, waiting: UInt64)? {
        let fields = bytes.split(separator: UInt8(ascii: " "), maxSplits: 2)
        guard fields.count >= 2, let running = number(fields[0]), let waiting = number(fields[1]) else { return nil }
        return (running, waiting)
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> UInt64? {
        UInt64(String(decoding: digits, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
