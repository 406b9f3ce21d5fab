import Foundation
public import ZenithJSON

/// Renders the operator API's answers as tables for people. Fields a server leaves out or sets to
/// `null` show as `-`; a document without the expected shape is an ``OperatorError/badResponse(_:)``.
public enum SLOReport {
    /// The targets of one or more `<ModelSLO>` objects: one row for the model default (with the
    /// policy, best accuracy and attainment), one per SLO class.
    public static func targets(_ models: [JSONValue]) throws(OperatorError) -> String {
        var table = TextTable([
            .init("MODEL"), .init("CLASS"), .init("LATENCY MS", rightAligned: true),
            .init("ACCURACY", rightAligned: true), .init("POLICY"), .init("BEST ACC", rightAligned: true),
            .init("ATTAINMENT", rightAligned: true),
        ])
        for model in models {
            let name = try self.modelName(model)
            let defaults = model["default"]
            table.append([
                name, "default", self.number(defaults?["latency_target_ms"], digits: 3),
                self.number(model["default"]?["accuracy_target"], digits: 4),
                model["infeasible_policy"]?.stringValue ?? "-", self.number(model["best_accuracy"], digits: 4),
                self.percent(model["attainment"]),
            ])
            for (className, targets) in (model["classes"]?.objectValue?.entries ?? []).sorted(by: { $0.key < $1.key }) {
                table.append([
                    name, className, self.number(targets["latency_target_ms"], digits: 3),
                    self.number(targets["accuracy_target"], digits: 4),
                ])
            }
        }
        return table.render()
    }

    /// The answer of `GET /v2/slo` as a targets table.
    public static func targets(list: JSONValue) throws(OperatorError) -> String {
        try self.targets(try self.modelList(list))
    }

    /// `GET /v2/slo` as a list of models: mode, default targets, policy, best accuracy, classes.
    public static func models(_ list: JSONValue) throws(OperatorError) -> String {
        var table = TextTable([
            .init("MODEL"), .init("MODE"), .init("LATENCY MS", rightAligned: true),
            .init("ACCURACY", rightAligned: true), .init("POLICY"), .init("BEST ACC", rightAligned: true),
            .init("CLASSES"),
        ])
        for model in try self.modelList(list) {
            let classes = model["classes"]?.objectValue?.keys.sorted() ?? []
            table.append([
                try self.modelName(model), model["mode"]?.stringValue ?? "-",
                self.number(model["default"]?["latency_target_ms"], digits: 3),
                self.number(model["default"]?["accuracy_target"], digits: 4),
                model["infeasible_policy"]?.stringValue ?? "-", self.number(model["best_accuracy"], digits: 4),
                classes.isEmpty ? "-" : classes.joined(separator: ","),
            ])
        }
        return table.render()
    }

    /// `GET /v2/slo/status`: the window, then one row per model.
    public static func status(_ status: JSONValue) throws(OperatorError) -> String {
        var table = TextTable([
            .init("MODEL"), .init("MODE"), .init("REQ/S", rightAligned: true), .init("P50 MS", rightAligned: true),
            .init("P99 MS", rightAligned: true), .init("ATTAINMENT", rightAligned: true),
            .init("QUEUE", rightAligned: true), .init("INFLIGHT", rightAligned: true),
            .init("WORKER CORES", rightAligned: true), .init("REJECTS"), .init("PLAN MIX"),
        ])
        for model in try self.modelList(status) {
            table.append([
                try self.modelName(model), model["mode"]?.stringValue ?? "-",
                self.fixed(model["requests_per_second"], digits: 1), self.fixed(model["p50_ms"], digits: 2),
                self.fixed(model["p99_ms"], digits: 2), self.percent(model["attainment"]),
                self.integer(model["queue_depth"]), self.integer(model["inflight"]),
                self.fixed(model["worker_cores"], digits: 2), self.rejects(model["rejects"]),
                self.planMix(model["plan_mix"]),
            ])
        }
        let window = status["window_seconds"].map { self.number($0, digits: 1) } ?? "-"
        return "window: last \(window) s\n" + table.render()
    }

    // MARK: Pieces

    static func modelList(_ document: JSONValue) throws(OperatorError) -> [JSONValue] {
        guard let models = document["models"]?.arrayValue else {
            throw .badResponse("no \"models\" array")
        }
        return models
    }

    static func modelName(_ model: JSONValue) throws(OperatorError) -> String {
        guard let name = model["model"]?.stringValue else { throw .badResponse("a model without a \"model\" name") }
        return name
    }

    /// A number with at most `digits` decimals and no trailing zeros: 10, 8.5, 0.916.
    static func number(_ value: JSONValue?, digits: Int) -> String {
        guard let value = value?.doubleValue, value.isFinite else { return "-" }
        var text = String(format: "%.\(digits)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// A number with exactly `digits` decimals, for columns that line up.
    static func fixed(_ value: JSONValue?, digits: Int) -> String {
        guard let value = value?.doubleValue, value.isFinite else { return "-" }
        return String(format: "%.\(digits)f", value)
    }

    static func integer(_ value: JSONValue?) -> String {
        guard let value = value?.doubleValue, value.isFinite else { return "-" }
        return String(Int(value.rounded()))
    }

    /// A fraction as a percentage with one decimal: 0.995 → 99.5%.
    static func percent(_ value: JSONValue?) -> String {
        guard let value = value?.doubleValue, value.isFinite else { return "-" }
        return String(format: "%.1f%%", value * 100)
    }

    /// Non-zero reject counts by reason, largest first: `slo_infeasible=12 queue_full=3`; `0` if none.
    static func rejects(_ value: JSONValue?) -> String {
        guard let entries = value?.objectValue?.entries else { return "-" }
        let counts = entries.compactMap { entry -> (String, Int)? in
            guard let count = entry.value.intValue, count > 0 else { return nil }
            return (entry.key, count)
        }
        guard !counts.isEmpty else { return "0" }
        return counts.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }
            .joined(separator: " ")
    }

    /// Plan shares as whole percentages, largest first: `dense 62% exit-filters-25 38%`.
    static func planMix(_ value: JSONValue?) -> String {
        guard let entries = value?.objectValue?.entries else { return "-" }
        let shares = entries.compactMap { entry -> (String, Double)? in
            guard let share = entry.value.doubleValue, share.isFinite, share > 0 else { return nil }
            return (entry.key, share)
        }
        guard !shares.isEmpty else { return "-" }
        return shares.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            .map { "\($0.0) \(Int(($0.1 * 100).rounded()))%" }.joined(separator: " ")
    }
}
