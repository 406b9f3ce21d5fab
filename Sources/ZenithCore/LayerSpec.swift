/// One operation of a model's network, as `config.json` declares it.
public enum LayerSpec: Sendable, Equatable {
    /// Square-kernel convolution; weights `<name>.weight` `[out, in, k, k]`, bias `<name>.bias`.
    case conv2d(name: String, stride: Int, padding: Int, relu: Bool)
    case maxPool2d(kernel: Int, stride: Int)
    case globalAveragePool
    case flatten
    /// Fully connected; weights `<name>.weight` `[out, in]`, bias `<name>.bias`.
    case linear(name: String, relu: Bool)

    /// The name of the layer's parameters, for layers that have some.
    public var parameterName: String? {
        switch self {
        case .conv2d(let name, _, _, _), .linear(let name, _): name
        case .maxPool2d, .globalAveragePool, .flatten: nil
        }
    }
}

/// The trunk of a network and its optional early-exit branch.
public struct NetworkSpec: Sendable, Equatable {
    public var layers: [LayerSpec]
    public var branch: BranchSpec?

    public init(layers: [LayerSpec], branch: BranchSpec? = nil) {
        self.layers = layers
        self.branch = branch
    }
}

/// An early-exit branch: ops applied to the output of the trunk layer `after`, ending in logits.
public struct BranchSpec: Sendable, Equatable {
    public var after: String
    public var layers: [LayerSpec]

    public init(after: String, layers: [LayerSpec]) {
        self.after = after
        self.layers = layers
    }
}
