public import ZenithJSON

extension LoadReport {
    /// `report.json`: the scenario, the capacity and how it was measured, and per run every
    /// aggregate (latency percentiles from the scheduled send time, attainment, served accuracy,
    /// rejects by reason, plan mix, send lateness, per class, per second, operator actions).
    public func json() -> JSONValue {
        var root: JSONObject = [
            "scenario": scenarioJSON(),
            "harness": [
                "connections": JSONValue(options.connections),
                "protocol": .string(options.version == .http2 ? "h2c" : "http/1.1"),
                "payload_pool_images": JSONValue(poolSize),
                "images_per_request": JSONValue(scenario.imagesPerRequest),
                "encoding": .string(scenario.encoding.rawValue),
                "latency_from": "scheduled send time (open loop, no coordinated omission)",
            ],
        ]
        if let capacity {
            root["capacity"] = [
                "requests_per_second": .double(capacity.requestsPerSecond),
                "images_per_request": JSONValue(capacity.imagesPerRequest),
                "images_per_second": .double(capacity.imagesPerSecond),
                "source": .string(capacity.source),
                "method": .string(capacity.method),
                "concurrency": JSONValue(capacity.concurrency),
                "duration_s": .double(capacity.durationSeconds),
                "answered": JSONValue(capacity.answered),
                "failed": JSONValue(capacity.failed),
            ]
        } else {
            root["capacity"] = .null
        }
        root["runs"] = .array(entries.map(Self.entryJSON))
        if let comparison = comparisonJSON() { root["comparison"] = comparison }
        let baselines = BaselineComparison.all(in: self)
        if !baselines.isEmpty { root["baselines"] = .array(baselines.map(Self.baselineJSON)) }
        root["notes"] = JSONValue(notes)
        return .object(root)
    }

    private func scenarioJSON() -> JSONValue {
        var rate: JSONObject = [:]
        switch scenario.rate {
        case .absolute(let rps): rate["rps"] = .double(rps)
        case .capacityMultiple(let multiple): rate["capacity_multiple"] = .double(multiple)
        }
        var object: JSONObject = [
            "name": .string(scenario.name), "model": .string(scenario.model),
            "duration_s": .double(scenario.durationSeconds), "seed": JSONValue(Int(truncatingIfNeeded: scenario.seed)),
            "arrival": .string(scenario.arrival.name), "rate": .object(rate),
            "images_per_request": JSONValue(scenario.imagesPerRequest), "encoding": .string(scenario.encoding.rawValue),
            "classes": .array(
                scenario.classes.map { slo in
                    [
                        "name": .string(slo.name), "share": .double(slo.share),
                        "latency_target_ms": .double(slo.latencyTargetMs), "accuracy_target": .double(slo.accuracyTarget),
                        "send": .string(slo.delivery.rawValue),
                    ]
                }),
            "actions": .array(
                scenario.actions.map { action in
                    var object: JSONObject = ["at_s": .double(action.atSeconds), "action": "set-target"]
                    if let latency = action.latencyTargetMs { object["latency_target_ms"] = .double(latency) }
                    if let accuracy = action.accuracyTarget { object["accuracy_target"] = .double(accuracy) }
                    if let sloClass = action.sloClass { object["class"] = .string(sloClass) }
                    if let policy = action.infeasiblePolicy { object["infeasible_policy"] = .string(policy) }
                    return .object(object)
                }),
        ]
        if let sweep = scenario.sweep {
            object["sweep"] = ["multiples": JSONValue(sweep.multiples), "point_duration_s": .double(sweep.pointSeconds)]
        }
        return .object(object)
    }

    private static func entryJSON(_ entry: Entry) -> JSONValue {
        let s = entry.summary
        var object: JSONObject = [
            "mode": .string(s.mode),
            "capacity_multiple": entry.capacityMultiple.map(JSONValue.double) ?? .null,
            "server": .string(entry.server),
            "duration_s": .double(entry.record.durationSeconds),
            "base_rate_rps": .double(entry.record.offeredRate),
            "sent": JSONValue(s.sent),
            "answered": JSONValue(s.answered),
            "offered_rps": .double(s.offeredRate),
            "throughput_rps": .double(s.throughput),
            "images_per_request": .double(s.imagesPerRequest),
            "sent_images": JSONValue(s.sentImages),
            "answered_images": JSONValue(s.answeredImages),
            "correct_images": JSONValue(s.correctImages),
            "offered_images_per_s": .double(s.offeredImageRate),
            "throughput_images_per_s": .double(s.imageThroughput),
            "latency_ms": percentiles(s.latencyMs),
            "attainment": .double(s.attainment),
            "served_accuracy": number(s.servedAccuracy),
            "within_latency_target": .double(s.withinLatencyTarget),
            "goodput_accuracy": .double(s.goodputAccuracy),
            "rejects": .object(JSONObject(s.rejects.sorted { $0.key < $1.key }.map { ($0.key, JSONValue($0.value)) })),
            "plan_mix": .object(
                JSONObject(
                    s.planCounts.sorted { $0.key < $1.key }.map {
                        ($0.key, JSONValue(Double($0.value) / Double(max(s.answered, 1))))
                    })),
            "plan_counts": .object(JSONObject(s.planCounts.sorted { $0.key < $1.key }.map { ($0.key, JSONValue($0.value)) })),
            "exit_share": number(s.exitShare),
            "send_lateness_ms": percentiles(s.sendLatenessMs),
            "late_share": .double(s.lateShare),
            "client_queued": JSONValue(entry.record.clientQueued),
            "steal_share_by_cpu": .object(
                JSONObject(entry.record.stealShares.sorted { $0.key < $1.key }.map { (String($0.key), .double($0.value)) })),
        ]
        object["classes"] = .array(
            s.classes.map { c in
                [
                    "name": .string(c.name), "sent": JSONValue(c.sent), "attainment": .double(c.attainment),
                    "served_accuracy": number(c.servedAccuracy), "p99_ms": number(c.p99Ms),
                ]
            })
        object["timeline"] = .array(
            s.timeline.map { bin in
                [
                    "t_s": JSONValue(bin.second), "sent": JSONValue(bin.sent), "answered": JSONValue(bin.answered),
                    "late": JSONValue(bin.late),
                    "attainment": number(bin.attainment), "p99_ms": number(bin.p99Ms),
                    "served_accuracy": number(bin.servedAccuracy),
                    "plans": .object(JSONObject(bin.plans.sorted { $0.key < $1.key }.map { ($0.key, JSONValue($0.value)) })),
                ]
            })
        object["actions"] = .array(
            entry.record.actions.map { action in
                [
                    "at_s": .double(action.atSeconds), "done_s": number(action.doneSeconds),
                    "body": .string(action.body), "status": action.status.map { JSONValue($0) } ?? .null,
                    "ok": .bool(action.succeeded), "message": .string(action.message),
                ]
            })
        return .object(object)
    }

    /// SLO mode against dense mode at the same offered load: ratios of the headline figures.
    private func comparisonJSON() -> JSONValue? {
        var points: [JSONValue] = []
        for dense in entries where dense.record.mode == "dense" {
            guard
                let slo = entries.first(where: {
                    $0.record.mode == "slo" && $0.capacityMultiple == dense.capacityMultiple
                })
            else { continue }
            points.append(
                [
                    "capacity_multiple": dense.capacityMultiple.map(JSONValue.double) ?? .null,
                    "attainment_dense": .double(dense.summary.attainment),
                    "attainment_slo": .double(slo.summary.attainment),
                    "p99_ratio_slo_over_dense": .double(slo.summary.latencyMs.p99 / dense.summary.latencyMs.p99),
                    "throughput_ratio_slo_over_dense": .double(slo.summary.throughput / max(dense.summary.throughput, 1e-9)),
                    "throughput_images_per_s_dense": .double(dense.summary.imageThroughput),
                    "throughput_images_per_s_slo": .double(slo.summary.imageThroughput),
                    "served_accuracy_dense": Self.number(dense.summary.servedAccuracy),
                    "served_accuracy_slo": Self.number(slo.summary.servedAccuracy),
                ])
        }
        return points.isEmpty ? nil : .array(points)
    }

    private static func baselineJSON(_ comparison: BaselineComparison) -> JSONValue {
        func point(_ s: RunSummary) -> JSONValue {
            [
                "mode": .string(s.mode), "attainment": .double(s.attainment),
                "within_latency_target": .double(s.withinLatencyTarget), "served_accuracy": number(s.servedAccuracy),
                "correct_over_sent": .double(s.goodputAccuracy), "p99_ms": number(s.latencyMs.p99),
            ]
        }
        return [
            "capacity_multiple": comparison.capacityMultiple.map(JSONValue.double) ?? .null,
            "points": .array(([comparison.slo] + comparison.baselines).map(point)),
            "dominated_by": JSONValue(comparison.dominatedBy.map(\.mode)),
            "best_static_at_least_as_punctual": comparison.bestStaticAtLeastAsPunctual.map { .string($0.mode) } ?? .null,
            "holds": .bool(comparison.holds),
        ]
    }

    private static func percentiles(_ p: RunSummary.Percentiles) -> JSONValue {
        [
            "p50": number(p.p50), "p90": number(p.p90), "p99": number(p.p99), "p99_9": number(p.p999),
            "max": number(p.max), "mean": number(p.mean),
        ]
    }

    private static func number(_ value: Double?) -> JSONValue {
        guard let value, value.isFinite else { return .null }
        return .double(value)
    }
}
