import Testing

@testable import ZenithServer

@Suite struct ProcessMetricsTests {
    @Test func readsTheKernelsFiguresAndCountsCPUTimeOnce() {
        let values = RecordingMetricsFactory()
        let process = ProcessMetrics(factory: values)
        process.update()
        let first = values["process_cpu_seconds_total"] ?? 0
        #expect(first > 0)
        #expect((values["process_resident_memory_bytes"] ?? 0) > Double(1 << 20))
        #expect((values["process_open_fds"] ?? 0) >= 3)
        #expect((values["process_start_time_seconds"] ?? 0) > 1.7e9)
        var spin = 0.0
        for i in 0..<2_000_000 { spin += Double(i).squareRoot() }
        #expect(spin > 0)
        process.update()
        let second = values["process_cpu_seconds_total"] ?? 0
        let total = Double(CPUTime.process) / 1e9
        // Each reading adds the time used since the last one: the counter is the process's total,
        // not the sum of totals.
        #expect(second > first)
        #expect(abs(second - total) < 0.5, "counter \(second) s, process \(total) s")
    }
}
