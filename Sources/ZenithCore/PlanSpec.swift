/// An operating point of a model: how much of the network to run (ARCHITECTURE.md §2).
///
/// A part left `nil` or empty runs dense; `PlanSpec(name: "dense")` is the full network.
public struct PlanSpec: Sendable, Equatable {
    public var name: String
    /// Per linear layer: importance-ordered prefix and per-input top-k (slo-nns).
    public var width: [String: WidthSpec]
    /// Early exits: branch name -> confidence threshold (DyFiP, BranchyNet). A legacy plan's
    /// `exit` names no branch and is stored under `ExitSpec.onlyBranch`.
    public var exits: [String: Double]
    /// Class-conditional filter subsets after the branch (DyFiP).
    public var filters: FilterSpec?

    public init(name: String, width: [String: WidthSpec] = [:], exits: [String: Double] = [:], filters: FilterSpec? = nil) {
        self.name = name
        self.width = width
        self.exits = exits
        self.filters = filters
    }

    public var isDense: Bool { width.isEmpty && exits.isEmpty && filters == nil }
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

public enum ExitSpec {
    /// The key of a legacy plan's `exit` (and `filters` without `branch`): the model's only branch.
    public static let onlyBranch = ""
}

public struct FilterSpec: Sendable, Equatable {
    /// The branch whose logits choose the classes (`ExitSpec.onlyBranch`: the model's only one).
    public var branch: String
    /// How many of the branch's most likely classes choose the filters.
    public var classes: Int
    /// Per conv layer after the branch: filters taken per class, and the cap on their union.
    public var layers: [String: FilterLayerSpec]

    public init(branch: String = ExitSpec.onlyBranch, classes: Int, layers: [String: FilterLayerSpec]) {
        self.branch = branch
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
