/// A network as a DAG of named per-sample tensors (Models/FORMAT.md, "graph").
///
/// Nodes are in topological order; every node writes one tensor, named uniquely. Early-exit
/// branches are small heads reading one trunk tensor and ending in class logits.
public struct GraphSpec: Sendable, Equatable {
    public var input: String
    public var output: String
    public var nodes: [NodeSpec]
    public var branches: [GraphBranchSpec]

    public init(input: String, output: String, nodes: [NodeSpec], branches: [GraphBranchSpec] = []) {
        self.input = input
        self.output = output
        self.nodes = nodes
        self.branches = branches
    }
}

/// An early-exit head: `nodes` read the trunk tensor `at` and end in `output`, class logits.
public struct GraphBranchSpec: Sendable, Equatable {
    public var name: String
    public var at: String
    public var nodes: [NodeSpec]
    public var output: String

    public init(name: String, at: String, nodes: [NodeSpec], output: String) {
        self.name = name
        self.at = at
        self.nodes = nodes
        self.output = output
    }
}

public struct NodeSpec: Sendable, Equatable {
    public var name: String
    public var op: OpSpec
    public var inputs: [String]
    public var output: String

    public init(name: String, op: OpSpec, inputs: [String], output: String) {
        self.name = name
        self.op = op
        self.inputs = inputs
        self.output = output
    }
}

/// An element-wise function applied to a node's result, or on its own.
public enum ActivationFunction: String, Sendable, Equatable, CaseIterable {
    case relu, relu6, hardswish, hardsigmoid, sigmoid
}

/// Two numbers along height and width.
public struct Pair: Sendable, Equatable {
    public var height: Int
    public var width: Int

    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }
}

/// Zero padding before and after each spatial axis.
public struct Padding: Sendable, Equatable {
    public var top, left, bottom, right: Int

    public init(top: Int, left: Int, bottom: Int, right: Int) {
        self.top = top
        self.left = left
        self.bottom = bottom
        self.right = right
    }

    public static func uniform(_ p: Int) -> Padding { Padding(top: p, left: p, bottom: p, right: p) }
}

public struct ConvSpec: Sendable, Equatable {
    public var stride: Pair
    public var pads: Padding
    public var dilation: Pair
    public var groups: Int
    public var activation: ActivationFunction?

    public init(stride: Pair, pads: Padding, dilation: Pair = Pair(1, 1), groups: Int = 1, activation: ActivationFunction? = nil) {
        self.stride = stride
        self.pads = pads
        self.dilation = dilation
        self.groups = groups
        self.activation = activation
    }
}

public struct PoolSpec: Sendable, Equatable {
    public var kernel: Pair
    public var stride: Pair
    public var pads: Padding
    /// Average pooling only: whether padded positions count in the divisor.
    public var countIncludePad: Bool

    public init(kernel: Pair, stride: Pair, pads: Padding, countIncludePad: Bool = false) {
        self.kernel = kernel
        self.stride = stride
        self.pads = pads
        self.countIncludePad = countIncludePad
    }
}

/// What a node computes. Parameters (`<node>.weight`, `<node>.bias`) live in the weights file.
public enum OpSpec: Sendable, Equatable {
    case conv(ConvSpec)
    case gemm(activation: ActivationFunction?)
    case activation(ActivationFunction)
    case add(activation: ActivationFunction?)
    case mul
    case concat
    case maxPool(PoolSpec)
    case averagePool(PoolSpec)
    case globalAveragePool
    case flatten
    /// Per-sample target shape, rank 1 or 3, same element count.
    case reshape([Int])
    case softmax

    /// The op's name in `config.json`.
    public var name: String {
        switch self {
        case .conv: "conv"
        case .gemm: "gemm"
        case .activation(let f): f.rawValue
        case .add: "add"
        case .mul: "mul"
        case .concat: "concat"
        case .maxPool: "maxpool"
        case .averagePool: "avgpool"
        case .globalAveragePool: "global_avgpool"
        case .flatten: "flatten"
        case .reshape: "reshape"
        case .softmax: "softmax"
        }
    }

    public static let supportedNames = [
        "conv", "gemm", "relu", "relu6", "hardswish", "hardsigmoid", "sigmoid", "add", "mul", "concat",
        "maxpool", "avgpool", "global_avgpool", "flatten", "reshape", "softmax",
    ]
}
