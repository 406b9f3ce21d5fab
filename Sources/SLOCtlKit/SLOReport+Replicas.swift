public import ZenithJSON

extension SLOReport {
    /// `sloctl status` over several replicas: per model, a row per replica and a `total` row.
    ///
    /// The total adds requests/s, queue, in-flight samples and rejects; weighs attainment and the
    /// plan mix by each replica's requests/s; and, since percentiles do not add, shows the worst
    /// replica's p50 and p99.
    public static func replicaStatus(_ responses: [(endpoint: String, response: JSONValue)]) throws(OperatorError)
        -> String
    {
        var table = TextTable([
            .init("REPLICA"), .init("MODEL"), .init("MODE"), .init("REQ/S", rightAligned: true),
            .init("P50 MS", rightAligned: true), .init("P99 MS", rightAligned: true),
            .init("ATTAINMENT", rightAligned: true), .init("QUEUE", rightAligned: true),
            .init("INFLIGHT", rightAligned: true), .init("REJECTS"), .init("PLAN MIX"),
        ])
        var order: [String] = []
        var rows: [String: [(endpoint: String, model: JSONValue)]] = [:]
        var windows: Set<String> = []
        for (endpoint, response) in responses {
            for model in try self.modelList(response) {
                let name = try self.modelName(model)
                if rows[name] == nil { order.append(name) }
                rows[name, default: []].append((endpoint, model))
            }
            windows.insert(response["window_seconds"].map { self.number($0, digits: 1) } ?? "-")
        }
        for name in order {
            let replicas = rows[name] ?? []
            for (endpoint, model) in replicas {
                table.append([
                    endpoint, name, model["mode"]?.stringValue ?? "-",
                    self.fixed(model["requests_per_second"], digits: 1), self.fixed(model["p50_ms"], digits: 2),
                    self.fixed(model["p99_ms"], digits: 2), self.percent(model["attainment"]),
                    self.integer(model["queue_depth"]), self.integer(model["inflight"]), self.rejects(model["rejects"]),
                    self.planMix(model["plan_mix"]),
                ])
            }
            let total = self.total(of: replicas.map(\.model))
            table.append([
                "total", name, "", self.fixed(total["requests_per_second"], digits: 1),
                self.fixed(total["p50_ms"], digits: 2), self.fixed(total["p99_ms"], digits: 2),
                self.percent(total["attainment"]), self.integer(total["queue_depth"]), self.integer(total["inflight"]),
                self.rejects(total["rejects"]), self.planMix(total["plan_mix"]),
            ])
        }
        let window = windows.count == 1 ? windows.first! : windows.sorted().joined(separator: "/")
        return "window: last \(window) s, \(responses.count) replicas\n" + table.render()
    }

    /// One model's figures summed over replicas, in the shape of one replica's.
    static func total(of replicas: [JSONValue]) -> JSONValue {
        func number(_ model: JSONValue, _ key: String) -> Double? {
            guard let value = model[key]?.doubleValue, value.isFinite else { return nil }
            return value
        }
        let rates = replicas.map { number($0, "requests_per_second") ?? 0 }
        let rate = rates.reduce(0, +)
        var attainment: JSONValue = .null
        var weighted = 0.0
        var weight = 0.0
        for (model, r) in zip(replicas, rates) where r > 0 {
            if let a = number(model, "attainment") {
                weighted += a * r
                weight += r
            }
        }
        if weight > 0 { attainment = .double(weighted / weight) }
        var mix: [String: Double] = [:]
        var rejects: [String: Int] = [:]
        for (model, r) in zip(replicas, rates) {
            for entry in model["plan_mix"]?.objectValue?.entries ?? [] where rate > 0 {
                mix[entry.key, default: 0] += (entry.value.doubleValue ?? 0) * r / rate
            }
            for entry in model["rejects"]?.objectValue?.entries ?? [] {
                rejects[entry.key, default: 0] += entry.value.intValue ?? 0
            }
        }
        let worst = { (key: String) -> JSONValue in
            replicas.compactMap { number($0, key) }.max().map(JSONValue.double) ?? .null
        }
        var total = JSONObject()
        total["requests_per_second"] = .double(rate)
        total["p50_ms"] = worst("p50_ms")
        total["p99_ms"] = worst("p99_ms")
        total["attainment"] = attainment
        total["queue_depth"] = .double(replicas.compactMap { number($0, "queue_depth") }.reduce(0, +))
        total["inflight"] = .double(replicas.compactMap { number($0, "inflight") }.reduce(0, +))
        var mixObject = JSONObject()
        for (plan, share) in mix.sorted(by: { $0.key < $1.key }) { mixObject[plan] = .double(share) }
        total["plan_mix"] = .object(mixObject)
        var rejectObject = JSONObject()
        for (reason, count) in rejects.sorted(by: { $0.key < $1.key }) { rejectObject[reason] = JSONValue(count) }
        total["rejects"] = .object(rejectObject)
        return .object(total)
    }
}
