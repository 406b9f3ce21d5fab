import CoreMetrics
import Synchronization
import Testing

@testable import ZenithServer

@Suite struct ModelMetricsHelpTests {
    /// A backend that only notes which metric names were made.
    final class NameRecorder: MetricsFactory, Sendable {
        private let made = Mutex<Set<String>>([])
        var names: Set<String> { made.withLock { $0 } }

        private final class Handler: CounterHandler, FloatingPointCounterHandler, RecorderHandler, TimerHandler,
            MeterHandler, Sendable
        {
            func increment(by: Int64) {}
            func increment(by: Double) {}
            func reset() {}
            func record(_ value: Int64) {}
            func record(_ value: Double) {}
            func recordNanoseconds(_ duration: Int64) {}
            func set(_ value: Int64) {}
            func set(_ value: Double) {}
            func decrement(by: Double) {}
        }

        private func note(_ label: String) -> Handler {
            made.withLock { _ = $0.insert(label) }
            return Handler()
        }

        func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { note(label) }
        func makeFloatingPointCounter(
            label: String, dimensions: [(String, String)]
        ) -> any FloatingPointCounterHandler { note(label) }
        func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
            note(label)
        }
        func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { note(label) }
        func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { note(label) }
        func destroyCounter(_ handler: any CounterHandler) {}
        func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
        func destroyRecorder(_ handler: any RecorderHandler) {}
        func destroyMeter(_ handler: any MeterHandler) {}
        func destroyTimer(_ handler: any TimerHandler) {}
    }

    @Test func everyFamilyAModelEmitsHasAHelpTextAndEveryTextAFamily() {
        let recorder = NameRecorder()
        _ = ModelMetrics(model: "m", plans: ["dense", "exit-050"], factory: recorder)
        #expect(!recorder.names.isEmpty)
        #expect(recorder.names == Set(ModelMetrics.helpTexts.keys))
        for (name, text) in ModelMetrics.helpTexts {
            // One sentence on one line: the exposition format ends a HELP line at a newline.
            #expect(!text.isEmpty && !text.contains("\n") && text.hasSuffix("."), "\(name)")
        }
    }
}
