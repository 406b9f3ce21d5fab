import Foundation
import NIOCore

/// The cores this process may use: what sizes the executor workers and BLAS threads by default.
///
/// The machine's processor count (`ProcessInfo.activeProcessorCount`) ignores both a CPU affinity
/// (`taskset`, `numactl`, `docker --cpuset-cpus`) and a cgroup CPU quota (`docker --cpus`). Sized
/// by it, a server pinned to one core of two ran two OpenBLAS threads there, and OpenBLAS's idle
/// thread, spinning on `sched_yield`, took a third of the core from the one doing the work.
public enum AvailableCores {
    /// The smaller of the affinity mask's size and NIO's cgroup-aware core count, at least 1.
    public static var count: Int {
        let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let allowed = status.flatMap(affinityCount(procStatus:)) ?? .max
        return max(1, min(allowed, System.coreCount))
    }

    /// The CPUs of the `Cpus_allowed_list` line of a `/proc/<pid>/status` text ("0-3,8,10-11"),
    /// `nil` if it has none or cannot be read. (glibc's `sched_getaffinity` is not in Swift's Glibc
    /// module.)
    static func affinityCount(procStatus: String) -> Int? {
        guard let line = procStatus.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else {
            return nil
        }
        let list = line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
        var count = 0
        for range in list.split(separator: ",") {
            let bounds = range.split(separator: "-", maxSplits: 1).map { Int($0) }
            switch bounds.count {
            case 1:
                guard bounds[0] != nil else { return nil }
                count += 1
            case 2:
                guard let low = bounds[0], let high = bounds[1], low <= high else { return nil }
                count += high - low + 1
            default: return nil
            }
        }
        return count > 0 ? count : nil
    }
}
