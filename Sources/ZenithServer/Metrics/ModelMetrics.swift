public import CoreMetrics

/// The swift-metrics one model emits. The library only emits; the executable picks the backend
/// (Prometheus, served at `GET /metrics`).
///
/// Every handle is made once, when the model loads, for every label value it can take (outcomes,
/// reasons, plans), so recording a request costs no registry lookup.
public final class ModelMetrics: Sendable {
    /// `zenith_requests_total{model, outcome}`: infer requests by how they ended.
    public enum Outcome: String, Sendable, CaseIterable {
        case success, rejected, expired, invalid, unavailable, error, cancelled
    }

    /// Reasons of `zenith_rejects_total{model, reason}`: every request answered without outputs.
    public static let rejectReasons = [
        "bad_request", "invalid_target", "slo_infeasible", "queue_full", "deadline_passed", "deadline_unreachable",
        "timeout", "unavailable", "executor_failed", "cancelled",
    ]

    /// The `# HELP` text of every family this type emits, by metric name (swift-metrics carries
    /// no description; the executable hands these to its Prometheus backend).
    public static let helpTexts: [String: String] = [
        "zenith_requests_total": "Infer requests answered, by how they ended (outcome).",
        "zenith_rejects_total": "Infer requests answered without outputs, by reason.",
        "zenith_plan_samples_total": "Samples computed, by the plan that ran them.",
        "zenith_exits_total": "Samples that left at an early exit, by plan.",
        "zenith_queue_duration_seconds": "Time requests answered with outputs waited in the queue.",
        "zenith_compute_duration_seconds": "Executor time per batch.",
        "zenith_request_duration_seconds": "Time from a request's arrival to its answer, whatever the outcome.",
        "zenith_slo_requests_total": "Infer requests judged against their SLO: met (true) or missed (false).",
        "zenith_batch_size": "Samples per batch the executor ran.",
        "zenith_inflight_samples": "Samples admitted and not yet answered.",
        "zenith_queued_samples": "Samples admitted and still waiting in the queue.",
    ].merging(TritonMetrics.helpTexts) { ours, _ in ours }

    private let requests: [Outcome: Counter]
    private let rejects: [String: Counter]
    /// Per plan, in the order of `ModelProfile.plans` (indexed by `PlanProfile.index`).
    private let planSamples: [Counter]
    private let planExits: [Counter]
    private let queueTime: Timer
    private let computeTime: Timer
    private let totalTime: Timer
    private let sloMet: Counter
    private let sloMissed: Counter
    private let batchSizes: Recorder
    private let inflight: Gauge
    private let queued: Gauge
    private let triton: TritonMetrics

    /// - Parameters:
    ///   - model: the `model` label.
    ///   - version: the model's version, for the `version` label of Triton's counters.
    ///   - plans: the model's plan names, for the `plan` label, in the order of `ModelProfile.plans`.
    ///   - factory: the metrics backend; the bootstrapped one by default.
    public init(
        model: String, version: String = "1", plans: [String], factory: any MetricsFactory = MetricsSystem.factory
    ) {
        let labels = [("model", model)]
        requests = Dictionary(
            uniqueKeysWithValues: Outcome.allCases.map { outcome in
                (
                    outcome,
                    Counter(
                        label: "zenith_requests_total", dimensions: labels + [("outcome", outcome.rawValue)],
                        factory: factory)
                )
            })
        rejects = Dictionary(
            uniqueKeysWithValues: Self.rejectReasons.map { reason in
                (
                    reason,
                    Counter(label: "zenith_rejects_total", dimensions: labels + [("reason", reason)], factory: factory)
                )
            })
        planSamples = plans.map { plan in
            Counter(label: "zenith_plan_samples_total", dimensions: labels + [("plan", plan)], factory: factory)
        }
        planExits = plans.map { plan in
            Counter(label: "zenith_exits_total", dimensions: labels + [("plan", plan)], factory: factory)
        }
        queueTime = Timer(label: "zenith_queue_duration_seconds", dimensions: labels, factory: factory)
        computeTime = Timer(label: "zenith_compute_duration_seconds", dimensions: labels, factory: factory)
        totalTime = Timer(label: "zenith_request_duration_seconds", dimensions: labels, factory: factory)
        sloMet = Counter(label: "zenith_slo_requests_total", dimensions: labels + [("met", "true")], factory: factory)
        sloMissed = Counter(
            label: "zenith_slo_requests_total", dimensions: labels + [("met", "false")], factory: factory)
        batchSizes = Recorder(label: "zenith_batch_size", dimensions: labels, aggregate: true, factory: factory)
        inflight = Gauge(label: "zenith_inflight_samples", dimensions: labels, factory: factory)
        queued = Gauge(label: "zenith_queued_samples", dimensions: labels, factory: factory)
        triton = TritonMetrics(model: model, version: version, factory: factory)
    }

    /// A request answered with outputs.
    func served(_ result: InferenceResult, totalNanos: UInt64) {
        requests[.success]?.increment()
        queueTime.recordNanoseconds(Int64(clamping: result.queueNanos))
        totalTime.recordNanoseconds(Int64(clamping: totalNanos))
        (result.sloMet ? sloMet : sloMissed).increment()
        triton.served(samples: result.samples.count, totalNanos: totalNanos, queueNanos: result.queueNanos)
    }

    /// A request answered without outputs: refused, expired, malformed or failed.
    func answeredWithout(_ outcome: Outcome, reason: String, totalNanos: UInt64) {
        requests[outcome]?.increment()
        rejects[reason]?.increment()
        totalTime.recordNanoseconds(Int64(clamping: totalNanos))
        // A request refused or dropped for its targets missed them; a malformed one had none.
        if outcome == .rejected || outcome == .expired { sloMissed.increment() }
        triton.failed(totalNanos: totalNanos)
    }

    /// A batch the executor ran with the plan at index `plan` of the model's plans.
    func executed(plan: Int, samples: Int, exits: Int, computeNanos: UInt64) {
        if planSamples.indices.contains(plan) {
            planSamples[plan].increment(by: samples)
            if exits > 0 { planExits[plan].increment(by: exits) }
        }
        computeTime.recordNanoseconds(Int64(clamping: computeNanos))
        batchSizes.record(samples)
        triton.executed(computeNanos: computeNanos)
    }

    /// Samples admitted and not yet answered, and those of them still queued.
    func occupancy(inflight: Int, queued: Int) {
        self.inflight.record(inflight)
        self.queued.record(queued)
    }
}
