import CoreMetrics
import Prometheus

/// The Prometheus backend with a `# HELP` line per metric family.
///
/// swift-metrics has no place for a description, so `PrometheusMetricsFactory` registers every
/// family with an empty help text (and the exposition then has no HELP line). This factory
/// registers the families it has a text for through the registry's own `help:` API, with the
/// buckets the wrapped factory would have used, and hands every other one to that factory
/// unchanged. The registry requires one help text per family, so a family must always be made
/// through the same path: the texts are fixed at bootstrap.
struct PrometheusHelpFactory: MetricsFactory {
    private let base: PrometheusMetricsFactory
    private let help: [String: String]

    /// - Parameters:
    ///   - base: the configured factory (registry, buckets); its name sanitizer is not applied
    ///     to the families with a help text, whose labels are used as they are.
    ///   - help: help text by metric name.
    init(_ base: PrometheusMetricsFactory, help: [String: String]) {
        self.base = base
        self.help = help
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let text = help[label] else { return base.makeCounter(label: label, dimensions: dimensions) }
        return base.registry.makeCounter(descriptor: Self.descriptor(label, text), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        guard let text = help[label] else { return base.makeFloatingPointCounter(label: label, dimensions: dimensions) }
        return base.registry.makeCounter(descriptor: Self.descriptor(label, text), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard let text = help[label] else {
            return base.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }
        guard aggregate else {
            return base.registry.makeGauge(descriptor: Self.descriptor(label, text), labels: dimensions)
        }
        let buckets = base.valueHistogramBuckets[label] ?? base.defaultValueHistogramBuckets
        return base.registry.makeValueHistogram(
            descriptor: Self.descriptor(label, text), labels: dimensions, buckets: buckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard let text = help[label] else { return base.makeMeter(label: label, dimensions: dimensions) }
        return base.registry.makeGauge(descriptor: Self.descriptor(label, text), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard let text = help[label] else { return base.makeTimer(label: label, dimensions: dimensions) }
        let buckets = base.durationHistogramBuckets[label] ?? base.defaultDurationHistogramBuckets
        return base.registry.makeDurationHistogram(
            descriptor: Self.descriptor(label, text), labels: dimensions, buckets: buckets)
    }

    /// The metric's full name as one component (the descriptor joins only non-empty ones).
    private static func descriptor(_ label: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: help)
    }

    // Handlers are the registry's own types whichever path made them: the base unregisters them.
    func destroyCounter(_ handler: any CounterHandler) { base.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        base.destroyFloatingPointCounter(handler)
    }
    func destroyRecorder(_ handler: any RecorderHandler) { base.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { base.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { base.destroyTimer(handler) }
}
