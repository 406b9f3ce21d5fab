import CoreMetrics
import Synchronization
import Testing

@testable import ZenithServer

@Suite struct ProcessMetricsTests {
    /// A backend that keeps the last value recorded and the sum counted, by metric name.
    final class Values: MetricsFactory, Sendable {
        private let values = Mutex<[String: Double]>([:])
        subscript(name: String) -> Double? { values.withLock { $0[name] } }

        private final class Handler: CounterHandler, FloatingPointCounterHandler, RecorderHandler, TimerHandler,
            MeterHandler, Sendable
        {
            let name: String
            let owner: Values
            init(_ name: String, _ owner: Values) {
                self.name = name
                self.owner = owner
            }
            func increment(by amount: Int64) { owner.add(name, Double(amount)) }
            func increment(by amount: Double) { owner.add(name, amount) }
            func reset() {}
            func record(_ value: Int64) { owner.set(name, Double(value)) }
            func record(_ value: Double) { owner.set(name, value) }
            func recordNanoseconds(_ duration: Int64) {}
            func set(_ value: Int64) { owner.set(name, Double(value)) }
            func set(_ value: Double) { owner.set(name, value) }
            func decrement(by: Double) {}
        }

        fileprivate func add(_ name: String, _ amount: Double) { values.withLock { $0[name, default: 0] += amount } }
        fileprivate func set(_ name: String, _ value: Double) { values.withLock { $0[name] = value } }

        func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { Handler(label, self) }
        func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
            Handler(label, self)
        }
        func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
            Handler(label, self)
        }
        func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { Handler(label, self) }
        func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { Handler(label, self) }
        func destroyCounter(_ handler: any CounterHandler) {}
        func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
        func destroyRecorder(_ handler: any RecorderHandler) {}
        func destroyMeter(_ handler: any MeterHandler) {}
        func destroyTimer(_ handler: any TimerHandler) {}
    }

    @Test func readsTheKernelsFiguresAndCountsCPUTimeOnce() {
        let values = Values()
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
