import Foundation

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
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return nil }
        var totals = Totals()
        var found = false
        for thread in threads {
            guard let id = Int(thread), !excluded.contains(id),
                let fields = read(path: "/proc/self/task/\(thread)/schedstat")
            else { continue }
            totals.runningNanos &+= fields.running
            totals.waitingNanos &+= fields.waiting
            found = true
        }
        return found ? totals : nil
    }

    /// The calling thread's id, as `/proc/self/task` names it.
    static var currentThreadID: Int? {
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self") else {
            return nil
        }
        return link.split(separator: "/").last.flatMap { Int($0) }
    }

    private static func read(path: String) -> (running: UInt64, waiting: UInt64)? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        let fields = String(decoding: data, as: UTF8.self).split(separator: " ")
        guard fields.count >= 2, let running = UInt64(fields[0]), let waiting = UInt64(fields[1]) else { return nil }
        return (running, waiting)
    }
}
