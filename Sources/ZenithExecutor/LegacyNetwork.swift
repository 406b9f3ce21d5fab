import ZenithCore

/// The sequential `network` of Models/FORMAT.md's first version, read as a chain graph so one
/// executor runs both: each layer writes a tensor named after it, a `linear` after a spatial
/// layer gets the `flatten` it implied, and the branch reads the output of the layer it names.
struct LegacyNetwork {
    enum Layer {
        case conv2d(name: String, stride: Int, padding: Int, relu: Bool)
        case maxPool2d(kernel: Int, stride: Int)
        case globalAveragePool
        case flatten
        case linear(name: String, relu: Bool)
    }

    /// The name the graph gives the only branch of a legacy network.
    static let branchName = "branch"

    var layers: [Layer]
    var branchAfter: String?
    var branchLayers: [Layer]

    init(reader: ConfigReader) throws(ModelLoadError) {
        layers = try reader.array("layers", Self.layer)
        if let b = try reader.optional("branch") {
            branchAfter = try b.string("after")
            branchLayers = try b.array("layers", Self.layer)
        } else {
            branchLayers = []
        }
    }

    private static func layer(_ reader: ConfigReader) throws(ModelLoadError) -> Layer {
        let op = try reader.string("op")
        switch op {
        case "conv2d":
            return .conv2d(
                name: try reader.string("name"), stride: try reader.optionalInt("stride", min: 1) ?? 1,
                padding: try reader.optionalInt("padding", min: 0) ?? 0, relu: try reader.optionalBool("relu") ?? false)
        case "maxpool2d":
            let kernel = try reader.int("kernel", min: 1)
            return .maxPool2d(kernel: kernel, stride: try reader.optionalInt("stride", min: 1) ?? kernel)
        case "global_avgpool": return .globalAveragePool
        case "flatten": return .flatten
        case "linear": return .linear(name: try reader.string("name"), relu: try reader.optionalBool("relu") ?? false)
        default:
            throw reader.error("unknown op '\(op)' (expected conv2d, maxpool2d, global_avgpool, flatten or linear)")
        }
    }

    func graph(input: String, output: String) throws(ModelLoadError) -> GraphSpec {
        var counter = 0
        func chain(_ layers: [Layer], from start: String, prefix: String) -> (nodes: [NodeSpec], last: String) {
            var nodes: [NodeSpec] = []
            var current = start
            var flat = false
            func push(_ name: String, _ op: OpSpec) {
                nodes.append(NodeSpec(name: name, op: op, inputs: [current], output: name))
                current = name
            }
            func anonymous(_ kind: String) -> String {
                counter += 1
                return "\(prefix)\(kind)_\(counter)"
            }
            for layer in layers {
                switch layer {
                case .conv2d(let name, let stride, let padding, let relu):
                    push(name, .conv(ConvSpec(stride: Pair(stride, stride), pads: .uniform(padding), activation: relu ? .relu : nil)))
                    flat = false
                case .maxPool2d(let kernel, let stride):
                    push(anonymous("maxpool"), .maxPool(PoolSpec(kernel: Pair(kernel, kernel), stride: Pair(stride, stride), pads: .uniform(0))))
                case .globalAveragePool:
                    push(anonymous("global_avgpool"), .globalAveragePool)
                case .flatten:
                    push(anonymous("flatten"), .flatten)
                    flat = true
                case .linear(let name, let relu):
                    if !flat { push(anonymous("flatten"), .flatten) }
                    push(name, .gemm(activation: relu ? .relu : nil))
                    flat = true
                }
            }
            return (nodes, current)
        }
        var trunk = chain(layers, from: input, prefix: "").nodes
        if let index = trunk.indices.last {
            // The model's output tensor carries the declared output name.
            trunk[index].output = output
        }
        var branches: [GraphBranchSpec] = []
        if let after = branchAfter {
            let (nodes, branchOutput) = chain(branchLayers, from: after, prefix: Self.branchName + "_")
            branches.append(GraphBranchSpec(name: Self.branchName, at: after, nodes: nodes, output: branchOutput))
        }
        return GraphSpec(input: input, output: output, nodes: trunk, branches: branches)
    }
}
