import Foundation

/// Each CPU's cumulative time counters from `/proc/stat`, for the share of a run the hypervisor
/// gave a CPU of this virtual machine to someone else (`steal`).
///
/// On a shared virtual machine a run can miss its targets because of the host, not the server
/// or the harness: a CPU with a steal share of 20% ran whatever was pinned to it a fifth slower,
/// in bursts. Reports show the share beside attainment, so that such a run reads as one.
public struct CPUTimes: Sendable, Equatable {
    public struct Counters: Sendable, Equatable {
        /// Clock ticks stolen.
        public var steal: UInt64
        /// Clock ticks in every state (user, nice, system, idle, iowait, irq, softirq, steal).
        public var total: UInt64
    }

    /// By CPU number.
    public var cpus: [Int: Counters]

    /// Reads `/proc/stat`; `nil` where it does not exist.
    public static func read() -> CPUTimes? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        return CPUTimes(parsing: text)
    }

    /// The `cpuN` lines of a `/proc/stat` text (the `cpu` line, the sum, is left out).
    public init(parsing text: String) {
        var cpus: [Int: Counters] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("cpu") {
            let fields = line.split(separator: " ")
            guard let number = Int(fields[0].dropFirst(3)), fields.count >= 9 else { continue }
            let ticks = fields[1...8].compactMap { UInt64($0) }
            guard ticks.count == 8 else { continue }
            cpus[number] = Counters(steal: ticks[7], total: ticks.reduce(0, +))
        }
        self.cpus = cpus
    }

    /// Each CPU's stolen share of its time since `earlier` (CPUs in both, with time passed).
    public func stealShares(since earlier: CPUTimes) -> [Int: Double] {
        var shares: [Int: Double] = [:]
        for (cpu, now) in cpus {
            guard let then = earlier.cpus[cpu], now.total > then.total, now.steal >= then.steal else { continue }
            shares[cpu] = Double(now.steal - then.steal) / Double(now.total - then.total)
        }
        return shares
    }
}
