/// An operating point of a model: how much of the network to run (ARCHITECTURE.md §2).
///
/// A part left `nil` or empty runs dense; `PlanSpec(name: "dense")` is the full network.
public struct PlanSpec: Sendable, Equatable {
    public var name: String
    /// Per linear layer: importance-ordered prefix and per-input top-k (slo-nns).
    public var width: [String: WidthSpec]
    /// Early exit at the branch (DyFiP, BranchyNet).
    public var exit: ExitSpec?
    /// Class-conditional filter subsets after the branch (DyFiP).
    public var filters: FilterSpec?

    public init(name: String, width: [String: WidthSpec] = [:], exit: ExitSpec? = nil, filters: FilterSpec? = nil) {
        self.name = name
        self.width = width
        self.exit = exit
        self.filters = filters
    }

    public var isDense: Bool { width.isEmpty && exit == nil && filters == nil }
}

/// Width of one linear layer under a plan.
public struct WidthSpec: Sendable, Equatable {
    /// Compute only output neurons `0..<keep` (neurons are stored in importance order).
    public var keep: Int?
    /// Feed only the `topk` largest activations of this layer to the next one, per input.
    public var topk: Int?

    public init(keep: Int? = nil, topk: Int? = nil) {
        self.keep = keep
        self.topk = topk
    }
}

public struct ExitSpec: Sendable, Equatable {
    /// Exit when the branch's top softmax probability is at least this.
    public var threshold: Double

    public init(threshold: Double) { self.threshold = threshold }
}

public struct FilterSpec: Sendable, Equatable {
    /// How many of the branch's most likely classes choose the filters.
    public var classes: Int
    /// Per conv layer after the branch: filters taken per class, and the cap on their union.
    public var layers: [String: FilterLayerSpec]

    public init(classes: Int, layers: [String: FilterLayerSpec]) {
        self.classes = classes
        self.layers = layers
    }
}

public struct FilterLayerSpec: Sendable, Equatable {
    public var perClass: Int
    public var cap: Int

    public init(perClass: Int, cap: Int) {
        self.perClass = perClass
        self.cap = cap
    }
}
