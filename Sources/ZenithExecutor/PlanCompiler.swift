import ZenithCore

/// Checks a plan against the graph and resolves its node and branch names to indices.
struct PlanCompiler {
    var graph: CompiledGraph
    var classCount: Int
    var configFile: String

    func compile(_ spec: PlanSpec, path: String) throws(ModelLoadError) -> CompiledPlan {
        func fail(_ reason: String) -> ModelLoadError {
            ModelLoadError(file: configFile, reason: "\(path) ('\(spec.name)'): \(reason)")
        }
        func trunkNode(_ name: String) throws(ModelLoadError) -> Int {
            guard let i = graph.nodes.firstIndex(where: { $0.name == name && $0.branch == nil }) else {
                throw fail("no trunk node named '\(name)'")
            }
            return i
        }
        func branch(_ name: String) throws(ModelLoadError) -> Int {
            if name == ExitSpec.onlyBranch {
                guard graph.branches.count == 1 else {
                    throw fail(graph.branches.isEmpty ? "uses a branch but the network has none"
                        : "must name its branch: the network has \(graph.branches.count)")
                }
                return 0
            }
            guard let b = graph.branches.firstIndex(where: { $0.name == name }) else { throw fail("no branch named '\(name)'") }
            return b
        }

        let nodeCount = graph.nodes.count
        var keep = [Int?](repeating: nil, count: nodeCount)
        var topk = [Int?](repeating: nil, count: nodeCount)
        for (name, width) in spec.width.sorted(by: { $0.key < $1.key }) {
            let i = try trunkNode(name)
            guard case .gemm(let layer) = graph.nodes[i].operation else {
                throw fail("width applies to gemm (linear) nodes; '\(name)' is not one")
            }
            // Narrowing is meaningful only when exactly one gemm reads the result.
            let readers = graph.consumers[graph.nodes[i].output]
            guard readers.count == 1, case .gemm = graph.nodes[readers[0]].operation else {
                throw fail("'\(name)' must feed exactly one gemm (linear) node to be narrowed")
            }
            if let k = width.keep {
                guard k <= layer.outputs else { throw fail("keep \(k) exceeds the \(layer.outputs) outputs of '\(name)'") }
                keep[i] = k
            }
            if let t = width.topk {
                guard t <= (width.keep ?? layer.outputs) else { throw fail("topk \(t) exceeds the neurons kept in '\(name)'") }
                topk[i] = t
            }
        }

        var thresholds = [Float?](repeating: nil, count: graph.branches.count)
        for (name, threshold) in spec.exits.sorted(by: { $0.key < $1.key }) {
            guard (0...1).contains(threshold) else { throw fail("exit threshold must be within 0...1") }
            thresholds[try branch(name)] = Float(threshold)
        }

        var filterLayers: [Int: FilterLayerSpec] = [:]
        var filterBranch: Int?
        var filterClasses = 0
        if let filters = spec.filters {
            let b = try branch(filters.branch)
            filterBranch = b
            guard (1...classCount).contains(filters.classes) else { throw fail("filters.classes must be within 1...\(classCount)") }
            filterClasses = filters.classes
            for (name, rule) in filters.layers.sorted(by: { $0.key < $1.key }) {
                let i = try trunkNode(name)
                guard case .conv(let conv) = graph.nodes[i].operation, graph.step(of: i) > graph.exitStep[b] else {
                    throw fail("filters apply to conv nodes after the branch; '\(name)' is not one")
                }
                guard conv.groups == 1 else { throw fail("filters apply to ungrouped convs; '\(name)' has \(conv.groups) groups") }
                guard conv.importance != nil else { throw fail("filters on '\(name)' need the tensor 'importance.\(name)'") }
                guard rule.cap <= conv.outChannels, rule.perClass <= conv.outChannels else {
                    throw fail("per_class and cap of '\(name)' must not exceed its \(conv.outChannels) filters")
                }
                if let reason = subsetBlocker(from: i) { throw fail("filters on '\(name)': \(reason)") }
                filterLayers[i] = rule
            }
        }
        return CompiledPlan(
            spec: spec, keep: keep, topk: topk, exitThresholds: thresholds, filterBranch: filterBranch,
            filterLayers: filterLayers, filterClasses: filterClasses)
    }

    /// Why a channel subset of `node`'s output could not stay a subset up to the next conv or
    /// gemm (Models/FORMAT.md): it must pass only through per-channel ops, each read once.
    private func subsetBlocker(from node: Int) -> String? {
        var tensor = graph.nodes[node].output
        while true {
            if tensor == graph.output { return "its channels reach the model's output" }
            let readers = graph.consumers[tensor]
            guard readers.count == 1 else {
                return "'\(graph.tensorNames[tensor])' is read by \(readers.count) nodes (a residual or branch input stays dense)"
            }
            let reader = graph.nodes[readers[0]]
            switch reader.operation {
            case .conv(let c) where c.groups == 1: return nil
            case .gemm: return nil
            case let op where op.isPerChannel: tensor = reader.output
            default: return "'\(graph.tensorNames[tensor])' flows into '\(reader.name)', which mixes channels"
            }
        }
    }
}
