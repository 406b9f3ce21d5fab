import ZenithJSON

/// A model's recent figures as `GET /v2/slo/status` shows them (`<ModelStatus>` of the spec).
struct ModelStatus: Sendable {
    /// Reasons `rejects` always lists, even at zero, so clients can read them without checking.
    static let reportedReasons = ["slo_infeasible", "queue_full"]

    var model: String
    var mode: SchedulingMode
    var summary: RecentSummary
    var queueDepth: Int
    var inflight: Int
    /// The controller's arrival rate, in samples per second.
    var arrivalSamplesPerSecond: Double
    /// The cores the controller counts on for its workers (`WorkerCapacity`).
    var workerCores: Double
    /// The controller's margins (`ModelScheduler.margins`).
    var overheadNanos: UInt64
    var overrun: Double

    init(_ loaded: LoadedModel) {
        model = loaded.name
        mode = loaded.scheduler.mode
        summary = loaded.recent.summary()
        (queueDepth, inflight) = loaded.scheduler.occupancy
        (arrivalSamplesPerSecond, workerCores) = loaded.scheduler.load
        (overheadNanos, overrun) = loaded.scheduler.margins
    }

    var json: JSONValue {
        var rejects = JSONObject()
        for reason in Self.reportedReasons { rejects[reason] = 0 }
        for (reason, count) in summary.rejects where count > 0 { rejects[reason] = JSONValue(count) }
        return [
            "model": .string(model),
            "mode": .string(mode.rawValue),
            "requests_per_second": .double(summary.requestsPerSecond),
            "p50_ms": summary.p50Ms.map(JSONValue.double) ?? .null,
            "p99_ms": summary.p99Ms.map(JSONValue.double) ?? .null,
            "attainment": summary.attainment.map(JSONValue.double) ?? .null,
            "plan_mix": .object(JSONObject(summary.planMix.map { ($0.plan, .double($0.share)) })),
            "queue_depth": JSONValue(queueDepth),
            "inflight": JSONValue(inflight),
            "arrival_samples_per_second": .double((arrivalSamplesPerSecond * 10).rounded() / 10),
            "worker_cores": .double((workerCores * 100).rounded() / 100),
            "overhead_ms": .double((Double(overheadNanos) / 10_000).rounded() / 100),
            "batch_overrun": .double((overrun * 100).rounded() / 100),
            "rejects": .object(rejects),
        ]
    }
}
