import CoreMetrics
import NIOConcurrencyHelpers

/// A swift-metrics backend for tests: the names of the metrics made, the last value recorded and
/// the sum counted, by metric name.
final class RecordingMetricsFactory: MetricsFactory, Sendable {
    private let values = NIOLockedValueBox<[String: Double]>([:])
    private let made = NIOLockedValueBox<Set<String>>([])

    var names: Set<String> { made.withLockedValue { $0 } }
    subscript(name: String) -> Double? { values.withLockedValue { $0[name] } }

    private final class Handler: CounterHandler, FloatingPointCounterHandler, RecorderHandler, TimerHandler,
        MeterHandler, Sendable
    {
        let name: String
        let owner: RecordingMetricsFactory
        init(_ name: String, _ owner: RecordingMetricsFactory) {
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

    fileprivate func add(_ name: String, _ amount: Double) { values.withLockedValue { $0[name, default: 0] += amount } }
    fileprivate func set(_ name: String, _ value: Double) { values.withLockedValue { $0[name] = value } }

    private func handler(_ label: String) -> Handler {
        made.withLockedValue { _ = $0.insert(label) }
        return Handler(label, self)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { handler(label) }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        handler(label)
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        handler(label)
    }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { handler(label) }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { handler(label) }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
