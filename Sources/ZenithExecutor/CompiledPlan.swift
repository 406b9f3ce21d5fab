import ZenithCore

/// A plan resolved against a model's graph: per node and per branch, what to run.
struct CompiledPlan: Sendable {
    var spec: PlanSpec
    /// Output prefix of each gemm node (`nil` = all outputs).
    var keep: [Int?]
    /// Per-input top-k of each gemm node's activations fed to its consumer.
    var topk: [Int?]
    /// Per branch: the exit threshold, if samples may leave there.
    var exitThresholds: [Float?]
    /// The branch whose logits choose filter subsets.
    var filterBranch: Int?
    /// Conv node index -> filter-subset rule.
    var filterLayers: [Int: FilterLayerSpec]
    var filterClasses: Int

    /// Whether branch `b`'s head runs under this plan.
    func runs(branch b: Int) -> Bool { exitThresholds[b] != nil || filterBranch == b }
}
