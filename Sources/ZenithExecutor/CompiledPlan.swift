import ZenithCore

/// A plan resolved against a model's layers: per trunk layer index, what to run.
struct CompiledPlan: Sendable {
    var spec: PlanSpec
    /// Output prefix of each trunk layer (`nil` = all outputs).
    var keep: [Int?]
    /// Per-input top-k of each trunk layer's activations fed to the next layer.
    var topk: [Int?]
    var exitThreshold: Float?
    /// Trunk layer index -> filter-subset rule, for conv layers after the branch.
    var filterLayers: [Int: FilterLayerSpec]
    var filterClasses: Int

    var usesBranch: Bool { exitThreshold != nil || !filterLayers.isEmpty }
}
