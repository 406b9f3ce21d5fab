import ZenithCore

/// Checks a plan against the network and resolves its layer names to trunk indices.
struct PlanCompiler {
    var trunk: [Layer]
    var branchAfter: Int?
    var classCount: Int
    var configFile: String

    func compile(_ spec: PlanSpec, path: String) throws(ModelLoadError) -> CompiledPlan {
        func fail(_ reason: String) -> ModelLoadError {
            ModelLoadError(file: configFile, reason: "\(path) ('\(spec.name)'): \(reason)")
        }
        func index(of name: String) throws(ModelLoadError) -> Int {
            guard let i = trunk.firstIndex(where: { $0.name == name }) else { throw fail("no trunk layer named '\(name)'") }
            return i
        }
        var keep = [Int?](repeating: nil, count: trunk.count)
        var topk = [Int?](repeating: nil, count: trunk.count)
        for (name, width) in spec.width.sorted(by: { $0.key < $1.key }) {
            let i = try index(of: name)
            guard case .linear(let layer) = trunk[i] else { throw fail("width applies to linear layers; '\(name)' is not one") }
            // Narrowing is only meaningful when another linear layer consumes the result.
            guard i + 1 < trunk.count, case .linear = trunk[i + 1] else {
                throw fail("'\(name)' must be followed by a linear layer to be narrowed")
            }
            if let b = branchAfter, i <= b { throw fail("'\(name)' is at or before the branch point and feeds the branch") }
            if let k = width.keep {
                guard k <= layer.outputs else { throw fail("keep \(k) exceeds the \(layer.outputs) outputs of '\(name)'") }
                keep[i] = k
            }
            if let t = width.topk {
                guard t <= (width.keep ?? layer.outputs) else { throw fail("topk \(t) exceeds the neurons kept in '\(name)'") }
                topk[i] = t
            }
        }
        var exitThreshold: Float?
        if let exit = spec.exit {
            guard branchAfter != nil else { throw fail("has an exit but the network has no branch") }
            guard (0...1).contains(exit.threshold) else { throw fail("exit threshold must be within 0...1") }
            exitThreshold = Float(exit.threshold)
        }
        var filterLayers: [Int: FilterLayerSpec] = [:]
        var filterClasses = 0
        if let filters = spec.filters {
            guard let b = branchAfter else { throw fail("has filters but the network has no branch") }
            guard (1...classCount).contains(filters.classes) else { throw fail("filters.classes must be within 1...\(classCount)") }
            filterClasses = filters.classes
            for (name, rule) in filters.layers {
                let i = try index(of: name)
                guard case .conv(let conv) = trunk[i], i > b else {
                    throw fail("filters apply to conv layers after the branch; '\(name)' is not one")
                }
                guard conv.importance != nil else { throw fail("filters on '\(name)' need the tensor 'importance.\(name)'") }
                guard rule.cap <= conv.outChannels, rule.perClass <= conv.outChannels else {
                    throw fail("per_class and cap of '\(name)' must not exceed its \(conv.outChannels) filters")
                }
                filterLayers[i] = rule
            }
        }
        return CompiledPlan(
            spec: spec, keep: keep, topk: topk, exitThreshold: exitThreshold,
            filterLayers: filterLayers, filterClasses: filterClasses)
    }
}
