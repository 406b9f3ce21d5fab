extension LoadReport {
    /// `report.md`: a readable summary: how capacity was measured, both modes side by side with
    /// their ratios, the sweep table, per-class figures, operator actions, and the plots.
    ///
    /// - Parameter plots: the PNG files drawn (names relative to the report), or why none were.
    public func markdown(plots: Result<[String], PlotError>) -> String {
        var out: [String] = []
        out.append("# zenith-load: \(scenario.name)")
        out.append("")
        out.append(
            "Model `\(scenario.model)`, \(scenario.arrival.name) arrivals, \(rateText), "
                + "\(isSweep ? "\(formatNumber(scenario.sweep!.pointSeconds, 0)) s per point" : "\(formatNumber(scenario.durationSeconds, 0)) s"), "
                + "seed \(scenario.seed), \(scenario.encoding.rawValue) payloads of \(imagesText) (\(poolSize) Fashion-MNIST test images, round-robin), "
                + "\(options.connections) \(options.version == .http2 ? "h2c" : "HTTP/1.1") connections.")
        out.append("")
        out.append("Classes: " + scenario.classes.map { c in
            "**\(c.name)** (share \(formatNumber(c.share, 2)), ≤ \(formatNumber(c.latencyTargetMs, 1)) ms, accuracy ≥ \(formatNumber(c.accuracyTarget, 4)), sent as \(c.delivery.rawValue))"
        }.joined(separator: "; ") + ".")
        out.append("")
        if let capacity {
            out.append(
                "**Dense capacity: \(formatNumber(capacity.requestsPerSecond, 0)) req/s** of \(capacity.imagesPerRequest) "
                    + "image\(capacity.imagesPerRequest == 1 ? "" : "s") (\(formatNumber(capacity.imagesPerSecond, 0)) images/s) — \(capacity.method).")
            out.append("")
        }
        out.append(
            "Latency counts from each request's *scheduled* send time (open loop: requests leave on schedule "
                + "whether or not earlier ones returned). Attainment is the share of *sent* requests answered within "
                + "their latency target by a plan whose expected accuracy meets their accuracy target; rejections, errors "
                + "and lost answers are misses. Served accuracy is the share of answered *images* whose argmax matches the "
                + "label; correct / sent divides the correct images by all images sent."
                + (scenario.imagesPerRequest > 1
                    ? " Each request carries \(scenario.imagesPerRequest) images and is judged once: its plan and expected "
                        + "accuracy are the weakest of its images'."
                    : ""))
        out.append("")

        if isSweep {
            out.append("## Sweep")
            out.append("")
            out.append("| load × capacity | mode | offered req/s | answered req/s | answered images/s | p50 ms | p99 ms | attainment | served accuracy | rejected | late sends |")
            out.append("|---|---|---|---|---|---|---|---|---|---|---|")
            for entry in entries.sorted(by: { ($0.capacityMultiple ?? 0, $0.record.mode) < ($1.capacityMultiple ?? 0, $1.record.mode) }) {
                let s = entry.summary
                out.append(
                    "| \(entry.capacityMultiple.map { formatNumber($0, 2) } ?? "–") | \(s.mode) | \(formatNumber(s.offeredRate, 0)) "
                        + "| \(formatNumber(s.throughput, 0)) | \(formatNumber(s.imageThroughput, 0)) | \(formatNumber(s.latencyMs.p50, 2)) | \(formatNumber(s.latencyMs.p99, 2)) "
                        + "| \(formatPercent(s.attainment)) | \(formatPercent(s.servedAccuracy)) "
                        + "| \(formatPercent(Double(s.sent - s.answered) / Double(max(s.sent, 1)))) | \(formatPercent(s.lateShare)) |")
            }
            out.append("")
        } else {
            out.append("## Side by side")
            out.append("")
            out.append(sideBySide())
            out.append("")
        }

        for comparison in BaselineComparison.all(in: self) {
            out += baselineSection(comparison)
        }

        let behind = entries.filter { $0.summary.lateShare >= 0.01 }
        if !behind.isEmpty {
            out.append(
                "**The harness fell behind its schedule** in "
                    + behind.map { "\($0.label) (\(formatPercent($0.summary.lateShare)) of sends > 1 ms late, p99 \(formatNumber($0.summary.sendLatenessMs.p99, 2)) ms)" }
                    .joined(separator: ", ")
                    + ": latencies still count from the schedule, but the harness's own lateness is part of them. "
                    + "Run on a quieter machine, or with the server and the harness on separate cores.")
            out.append("")
        }

        if let steal = stealLine() {
            out.append(steal)
            out.append("")
        }

        for entry in entries where entry.summary.classes.count > 1 {
            out.append("Per class, \(entry.label): "
                + entry.summary.classes.map { c in
                    "\(c.name): \(c.sent) sent, attainment \(formatPercent(c.attainment)), served accuracy \(formatPercent(c.servedAccuracy)), p99 \(c.p99Ms.map { formatNumber($0, 2) } ?? "–") ms"
                }.joined(separator: "; "))
            out.append("")
        }

        if !scenario.interference.isEmpty {
            out += interferenceSection()
        }

        let actionEntries = entries.filter { !$0.record.actions.isEmpty }
        if !actionEntries.isEmpty {
            out.append("## Operator actions and interference")
            out.append("")
            for entry in actionEntries {
                for action in entry.record.actions {
                    let when = action.atSeconds < 0 ? "set-up" : "t = \(formatNumber(action.atSeconds, 1)) s"
                    let result = action.succeeded ? "200" : "FAILED (\(action.status.map(String.init) ?? "no answer")): \(action.message)"
                    out.append("- \(entry.summary.mode), \(when): `\(action.body)` → \(result)")
                }
            }
            out.append("")
        }

        out.append("## Plots")
        out.append("")
        switch plots {
        case .success(let files) where files.isEmpty: out.append("No plots for this report.")
        case .success(let files): out += files.map { "![\($0)](\($0))" }
        case .failure(let error): out.append("Not drawn: \(error.description)")
        }
        if !notes.isEmpty {
            out.append("")
            out.append("## Notes")
            out.append("")
            out += notes.map { "- \($0)" }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Every run's point at one load, and whether Zenith's holds against the baselines.
    private func baselineSection(_ comparison: BaselineComparison) -> [String] {
        var out = ["## Against the baselines\(comparison.capacityMultiple.map { " at \(formatNumber($0, 2))× capacity" } ?? "")", ""]
        out.append(
            "dense: `--dense-only`, first come first served; dense-timeout: the same, each request sending its latency "
                + "target as Triton's `timeout` (dropped when still queued at it); static:PLAN: `--static-plan`, one fixed "
                + "plan for every request, as a statically pruned model. Within target: answered in time by any plan; "
                + "attainment also asks the plan's expected accuracy to meet the request's target.")
        out.append("")
        out.append("| mode | SLO attainment | within latency target | served accuracy | correct / sent | refused or dropped | p99 ms |")
        out.append("|---|---|---|---|---|---|---|")
        for s in [comparison.slo] + comparison.baselines {
            out.append(
                "| \(s.mode == "slo" ? "**slo**" : s.mode) | \(formatPercent(s.attainment)) | \(formatPercent(s.withinLatencyTarget)) "
                    + "| \(formatPercent(s.servedAccuracy)) | \(formatPercent(s.goodputAccuracy)) "
                    + "| \(formatPercent(Double(s.sent - s.answered) / Double(max(s.sent, 1)))) | \(formatNumber(s.latencyMs.p99, 2)) |")
        }
        out.append("")
        let dominated = comparison.dominatedBy
        out.append(
            dominated.isEmpty
                ? "- No baseline dominates Zenith's point (attainment, served accuracy)."
                : "- **Dominated** by " + dominated.map { "\($0.mode) (\(formatPercent($0.attainment)), \(formatPercent($0.servedAccuracy)))" }.joined(separator: ", ") + ".")
        if let best = comparison.bestStaticAtLeastAsPunctual {
            let holds = (comparison.slo.servedAccuracy ?? 0) >= (best.servedAccuracy ?? 0)
            out.append(
                "- The most accurate static plan with attainment ≥ Zenith's is \(best.mode): served accuracy "
                    + "\(formatPercent(best.servedAccuracy)) against Zenith's \(formatPercent(comparison.slo.servedAccuracy))"
                    + (holds ? " (Zenith's is at least as high)." : " — **higher than Zenith's**."))
        } else {
            out.append("- No static plan reaches Zenith's attainment.")
        }
        out.append("")
        return out
    }

    /// The hypervisor's steal during each run, per CPU (`CPUTimes`), when the machine reports it:
    /// a run on a contended host then reads as one. CPUs that lost less than 0.1% are left out.
    private func stealLine() -> String? {
        let measured = entries.filter { !$0.record.stealShares.isEmpty }
        guard !measured.isEmpty else { return nil }
        let runs = measured.map { entry in
            let stolen = entry.record.stealShares.filter { $0.value >= 0.001 }.sorted { $0.key < $1.key }
            let cpus = stolen.isEmpty ? "none" : stolen.map { "cpu\($0.key) \(formatPercent($0.value))" }.joined(separator: ", ")
            return "\(entry.label): \(cpus)"
        }
        return "Hypervisor steal while sending (each CPU's time the host gave to another guest, from `/proc/stat`): "
            + runs.joined(separator: "; ") + "."
    }

    /// Each run before, during and after the interference: attainment, refusals, the harness's
    /// late sends, served accuracy and plan mix per phase (by scheduled send second), so that
    /// what the noise costs and whether the controller gives compute back when it goes can be
    /// read side by side, and a phase the harness itself fell behind in is seen as such.
    private func interferenceSection() -> [String] {
        let noise = scenario.interference
        var bounds: [(String, Double, Double)] = []
        var start = 0.0
        for (index, interval) in noise.enumerated() {
            if interval.fromSeconds > start { bounds.append(("before" + (index == 0 ? "" : " \(index + 1)"), start, interval.fromSeconds)) }
            bounds.append(("**with \(interval.workers) busy neighbour\(interval.workers == 1 ? "" : "s")**", interval.fromSeconds, interval.untilSeconds))
            start = interval.untilSeconds
        }
        bounds.append(("after", start, .infinity))
        var out = ["## Interference", ""]
        out.append(
            "A CPU-bound neighbour (`zenith-load burn`\(options.interferenceCPUs.map { ", pinned to CPU \($0)" } ?? ", not pinned")) "
                + "runs " + noise.map { "from \(formatNumber($0.fromSeconds, 0)) s to \(formatNumber($0.untilSeconds, 0)) s" }.joined(separator: " and ")
                + ". Per phase, by scheduled send time:")
        out.append("")
        out.append("| mode | phase | sent | attainment | refused or failed | sends > 1 ms late | served accuracy | plan mix |")
        out.append("|---|---|---|---|---|---|---|---|")
        for entry in entries {
            for (name, from, until) in bounds {
                let bins = entry.summary.timeline.filter { Double($0.second) >= from && Double($0.second) < until }
                let sent = bins.reduce(0) { $0 + $1.sent }
                guard sent > 0 else { continue }
                let attained = bins.reduce(0.0) { $0 + ($1.attainment ?? 0) * Double($1.sent) } / Double(sent)
                let answered = bins.reduce(0) { $0 + $1.answered }
                let late = bins.reduce(0) { $0 + $1.late }
                let correct = bins.reduce(0.0) { $0 + ($1.servedAccuracy ?? 0) * Double($1.answered) }
                var plans: [String: Int] = [:]
                for bin in bins { plans.merge(bin.plans, uniquingKeysWith: +) }
                let mix = plans.sorted { $0.value > $1.value }.prefix(3)
                    .map { "\($0.key) \(formatPercent(Double($0.value) / Double(max(answered, 1))))" }.joined(separator: ", ")
                out.append(
                    "| \(entry.summary.mode) | \(name) | \(sent) | \(formatPercent(attained)) "
                        + "| \(formatPercent(Double(sent - answered) / Double(sent))) | \(formatPercent(Double(late) / Double(sent))) "
                        + "| \(answered == 0 ? "–" : formatPercent(correct / Double(answered))) | \(mix.isEmpty ? "–" : mix) |")
            }
        }
        out.append("")
        return out
    }

    private var imagesText: String {
        scenario.imagesPerRequest == 1 ? "one image" : "\(scenario.imagesPerRequest) images"
    }

    private var rateText: String {
        switch scenario.rate {
        case .absolute(let rps): return "\(formatNumber(rps, 0)) req/s"
        case .capacityMultiple(let multiple):
            if isSweep { return "offered load swept over \(scenario.sweep!.multiples.map { formatNumber($0, 2) + "×" }.joined(separator: ", ")) capacity" }
            return "\(formatNumber(multiple, 2))× dense capacity"
                + (capacity.map { " (\(formatNumber($0.requestsPerSecond * multiple, 0)) req/s)" } ?? "")
        }
    }

    private func sideBySide() -> String {
        let runs = entries.map(\.summary)
        var rows: [String] = []
        rows.append("| | " + runs.map(\.mode).joined(separator: " | ") + (runs.count == 2 ? " | \(runs[1].mode) / \(runs[0].mode) |" : " |"))
        rows.append("|---|" + runs.map { _ in "---|" }.joined() + (runs.count == 2 ? "---|" : ""))
        func row(_ name: String, _ value: (RunSummary) -> Double?, _ format: (Double?) -> String, ratio: Bool = true) {
            var line = "| \(name) | " + runs.map { format(value($0)) }.joined(separator: " | ") + " |"
            if runs.count == 2 {
                if ratio, let a = value(runs[0]), let b = value(runs[1]), a > 1e-2, a.isFinite, b.isFinite {
                    line += " \(formatNumber(b / a, 2))× |"
                } else {
                    line += " |"
                }
            }
            rows.append(line)
        }
        let ms: (Double?) -> String = { $0.map { formatNumber($0, 2) } ?? "–" }
        let rate: (Double?) -> String = { $0.map { formatNumber($0, 0) } ?? "–" }
        row("sent", { Double($0.sent) }, rate, ratio: false)
        row("offered req/s", { $0.offeredRate }, rate, ratio: false)
        row("answered req/s", { $0.throughput }, rate)
        row("images per request", { $0.imagesPerRequest }, { $0.map { formatNumber($0, 0) } ?? "–" }, ratio: false)
        row("offered images/s", { $0.offeredImageRate }, rate, ratio: false)
        row("answered images/s", { $0.imageThroughput }, rate)
        row("p50 ms", { $0.latencyMs.p50 }, ms)
        row("p90 ms", { $0.latencyMs.p90 }, ms)
        row("p99 ms", { $0.latencyMs.p99 }, ms)
        row("p99.9 ms", { $0.latencyMs.p999 }, ms)
        row("**SLO attainment**", { $0.attainment }, formatPercent)
        row("served accuracy", { $0.servedAccuracy }, formatPercent, ratio: false)
        row("correct / sent", { $0.goodputAccuracy }, formatPercent)
        row("rejected or failed", { Double($0.sent - $0.answered) / Double(max($0.sent, 1)) }, formatPercent, ratio: false)
        row("early exits", { $0.exitShare }, formatPercent, ratio: false)
        row("sends > 1 ms late", { $0.lateShare }, formatPercent, ratio: false)
        rows.append("| waited for a free stream in the client | " + entries.map { String($0.record.clientQueued) }.joined(separator: " | ") + (runs.count == 2 ? " | |" : " |"))
        rows.append("| rejects by reason | " + runs.map { s in
            s.rejects.isEmpty ? "none" : s.rejects.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }.joined(separator: " | ") + (runs.count == 2 ? " | |" : " |"))
        rows.append("| plan mix | " + runs.map { s in
            s.planCounts.sorted { $0.value > $1.value }.prefix(4).map { "\($0.key) \(formatPercent(Double($0.value) / Double(max(s.answered, 1))))" }.joined(separator: ", ")
        }.joined(separator: " | ") + (runs.count == 2 ? " | |" : " |"))
        return rows.joined(separator: "\n")
    }
}

extension LoadReport.Entry {
    /// The run as the report's sentences name it: its mode, and its load where it has one.
    fileprivate var label: String {
        summary.mode + (capacityMultiple.map { " at \(formatNumber($0, 2))×" } ?? "")
    }
}
