public import CoreMetrics
import Foundation
import Glibc

/// The process's CPU time, resident memory and open file descriptors under the names every
/// Prometheus client library exports (`process_*`), read from the kernel when `/metrics` is
/// scraped (``update()``), so dashboards and alerts on them need nothing Zenith-specific.
public final class ProcessMetrics: Sendable {
    public static let helpTexts: [String: String] = [
        "process_cpu_seconds_total": "User and system CPU time the process has used, in seconds.",
        "process_resident_memory_bytes": "Resident memory of the process, in bytes.",
        "process_open_fds": "File descriptors the process has open.",
        "process_start_time_seconds": "When the server started, in seconds since the Unix epoch.",
    ]

    private let cpu: FloatingPointCounter
    private let resident: Gauge
    private let openFDs: Gauge
    private let reportedCPUNanos = Locked<UInt64>(0)

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        cpu = FloatingPointCounter(label: "process_cpu_seconds_total", dimensions: [], factory: factory)
        resident = Gauge(label: "process_resident_memory_bytes", dimensions: [], factory: factory)
        openFDs = Gauge(label: "process_open_fds", dimensions: [], factory: factory)
        Gauge(label: "process_start_time_seconds", dimensions: [], factory: factory)
            .record(Date().timeIntervalSince1970)
    }

    /// Reads the figures now; call before rendering the exposition.
    public func update() {
        let now = CPUTime.process
        let delta = reportedCPUNanos.withLock { reported -> UInt64 in
            defer { reported = max(reported, now) }
            return now > reported ? now - reported : 0
        }
        if delta > 0 { cpu.increment(by: Double(delta) / 1e9) }
        if let pages = Self.residentPages() { resident.record(pages * Int(sysconf(Int32(_SC_PAGESIZE)))) }
        if let count = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count {
            openFDs.record(count)
        }
    }

    /// The second field of /proc/self/statm: resident pages.
    private static func residentPages() -> Int? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        return fields.count > 1 ? Int(fields[1]) : nil
    }
}
