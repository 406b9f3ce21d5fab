/// Zenith's point (SLO attainment, served accuracy) against every baseline run at the same
/// offered load: the static plans a statically pruned model would serve, dense, and dense with
/// Triton's `timeout`.
///
/// The claims it checks, as the baselines issue states them: no baseline *dominates* Zenith (at
/// least as much attainment and at least as much served accuracy, one of them strictly more), and
/// Zenith's served accuracy is at least that of the most accurate static plan whose attainment
/// is equal or better. Exact comparisons: the figures carry sampling noise (a few tenths of a
/// point of accuracy on 10,000 images), which the report's repeated runs show.
public struct BaselineComparison: Sendable {
    /// The offered load, as a multiple of capacity, if the run was scaled by one.
    public var capacityMultiple: Double?
    /// Zenith's run.
    public var slo: RunSummary
    /// The baselines' runs, in the order they ran.
    public var baselines: [RunSummary]

    /// One comparison per offered load that has an `slo` run and at least one baseline.
    public static func all(in report: LoadReport) -> [BaselineComparison] {
        var comparisons: [BaselineComparison] = []
        for slo in report.entries where slo.record.mode == ServingMode.slo.description {
            let baselines = report.entries.filter { entry in
                entry.capacityMultiple == slo.capacityMultiple
                    && ((try? ServingMode(parsing: entry.record.mode))?.isBaseline ?? false)
            }
            guard !baselines.isEmpty else { continue }
            comparisons.append(
                BaselineComparison(capacityMultiple: slo.capacityMultiple, slo: slo.summary, baselines: baselines.map(\.summary)))
        }
        return comparisons
    }

    /// The baselines whose point dominates Zenith's.
    public var dominatedBy: [RunSummary] {
        let accuracy = slo.servedAccuracy ?? 0
        return baselines.filter { b in
            let bAccuracy = b.servedAccuracy ?? 0
            return b.attainment >= slo.attainment && bAccuracy >= accuracy
                && (b.attainment > slo.attainment || bAccuracy > accuracy)
        }
    }

    /// The most accurate static plan with attainment at least Zenith's, if any.
    public var bestStaticAtLeastAsPunctual: RunSummary? {
        baselines
            .filter { b in
                if case .staticPlan = try? ServingMode(parsing: b.mode) { return b.attainment >= slo.attainment }
                return false
            }
            .max { ($0.servedAccuracy ?? 0) < ($1.servedAccuracy ?? 0) }
    }

    /// Whether both claims hold.
    public var holds: Bool {
        dominatedBy.isEmpty && (slo.servedAccuracy ?? 0) >= (bestStaticAtLeastAsPunctual?.servedAccuracy ?? 0)
    }
}
