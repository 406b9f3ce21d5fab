import ZenithCore

/// Resolves a `GraphSpec` against the weights: tensor shapes, parameters, and a clear error
/// naming the node for anything that does not fit.
struct GraphBuilder {
    var weights: SafeTensors
    var configFile: String
    var classCount: Int

    func build(_ spec: GraphSpec, input inputShape: TensorShape) throws(ModelLoadError) -> CompiledGraph {
        var tensorIndex: [String: Int] = [spec.input: 0]
        var names = [spec.input]
        var shapes = [inputShape]
        var nodes: [GraphNode] = []
        var nodeNames = Set<String>()

        func add(_ node: NodeSpec, branch: Int?, path: String) throws(ModelLoadError) {
            func fail(_ reason: String) -> ModelLoadError {
                ModelLoadError(file: configFile, reason: "\(path) ('\(node.name)', \(node.op.name)): \(reason)")
            }
            guard nodeNames.insert(node.name).inserted else { throw fail("duplicate node name") }
            guard tensorIndex[node.output] == nil else { throw fail("tensor '\(node.output)' is written twice") }
            var inputs: [Int] = []
            for name in node.inputs {
                guard let t = tensorIndex[name] else { throw fail("reads '\(name)', which no earlier node writes") }
                inputs.append(t)
            }
            let (operation, shape) = try resolve(node, inputs.map { shapes[$0] }, fail: fail)
            tensorIndex[node.output] = shapes.count
            names.append(node.output)
            shapes.append(shape)
            nodes.append(GraphNode(name: node.name, operation: operation, inputs: inputs, output: shapes.count - 1, branch: branch))
        }

        for (i, node) in spec.nodes.enumerated() { try add(node, branch: nil, path: "graph.nodes[\(i)]") }
        guard let output = tensorIndex[spec.output] else {
            throw ModelLoadError(file: configFile, reason: "graph.output '\(spec.output)' is written by no node")
        }
        guard shapes[output] == .flat(classCount) else {
            throw ModelLoadError(
                file: configFile, reason: "graph.output '\(spec.output)' has shape \(shapes[output]), expected [\(classCount)] logits")
        }
        let trunkTensors = tensorIndex
        var branches: [CompiledBranch] = []
        var branchNames = Set<String>()
        for (b, branch) in spec.branches.enumerated() {
            let path = "graph.branches[\(b)]"
            func fail(_ reason: String) -> ModelLoadError { ModelLoadError(file: configFile, reason: "\(path) ('\(branch.name)'): \(reason)") }
            guard branchNames.insert(branch.name).inserted else { throw fail("duplicate branch name") }
            guard let at = trunkTensors[branch.at], at != output else {
                throw fail("'at' must name a trunk tensor other than the output, got '\(branch.at)'")
            }
            for (i, node) in branch.nodes.enumerated() {
                guard node.inputs.allSatisfy({ $0 == branch.at || trunkTensors[$0] == nil }) else {
                    throw fail("node '\(node.name)' reads a trunk tensor other than '\(branch.at)'")
                }
                try add(node, branch: b, path: "\(path).nodes[\(i)]")
            }
            guard let out = tensorIndex[branch.output], !trunkTensors.keys.contains(branch.output) else {
                throw fail("output '\(branch.output)' is written by none of its nodes")
            }
            guard shapes[out] == .flat(classCount) else {
                throw fail("output '\(branch.output)' has shape \(shapes[out]), expected [\(classCount)] logits")
            }
            branches.append(CompiledBranch(name: branch.name, at: at, output: out))
        }
        return CompiledGraph(tensorNames: names, shapes: shapes, nodes: nodes, branches: branches, input: 0, output: output)
    }

    private func resolve(
        _ node: NodeSpec, _ inputs: [TensorShape], fail: (String) -> ModelLoadError
    ) throws(ModelLoadError) -> (Operation, TensorShape) {
        func arity(_ n: Int) throws(ModelLoadError) {
            guard inputs.count == n else { throw fail("takes \(n) input\(n == 1 ? "" : "s"), got \(inputs.count)") }
        }
        switch node.op {
        case .conv(let spec):
            try arity(1)
            let x = inputs[0]
            let groups = spec.groups
            guard x.channels % groups == 0 else { throw fail("\(x.channels) input channels do not divide into \(groups) groups") }
            let weightName = node.name + ".weight"
            // The kernel is bounded like the config's geometry: an empty weight (0 output
            // channels) holds no bytes whatever kernel its shape claims.
            let kernelSizes = 1...ConfigReader.maxGeometry
            guard let entry = weights.entries[weightName], entry.shape.count == 4, entry.shape[1] == x.channels / groups,
                entry.shape[0] % groups == 0, kernelSizes.contains(entry.shape[2]), kernelSizes.contains(entry.shape[3])
            else {
                let found = weights.entries[weightName].map { "\($0.shape)" } ?? "missing"
                throw ModelLoadError(
                    file: weights.path, reason: "tensor '\(weightName)' should be [out, \(x.channels / groups), kh, kw], found \(found)")
            }
            let (out, kh, kw) = (entry.shape[0], entry.shape[2], entry.shape[3])
            let oh = (x.height + spec.pads.top + spec.pads.bottom - spec.dilation.height * (kh - 1) - 1) / spec.stride.height + 1
            let ow = (x.width + spec.pads.left + spec.pads.right - spec.dilation.width * (kw - 1) - 1) / spec.stride.width + 1
            guard oh > 0, ow > 0, x.height + spec.pads.top + spec.pads.bottom >= spec.dilation.height * (kh - 1) + 1,
                x.width + spec.pads.left + spec.pads.right >= spec.dilation.width * (kw - 1) + 1
            else { throw fail("kernel \(kh)x\(kw) does not fit input \(x)") }
            let full = try weights.floats(weightName)
            func live(_ k: Int, _ outSize: Int, _ inSize: Int, _ s: Int, _ pad: Int, _ d: Int) -> Bool {
                (0..<outSize).contains { o in (0..<inSize).contains(o * s - pad + k * d) }
            }
            let taps = (0..<(kh * kw)).filter { t in
                live(t / kw, oh, x.height, spec.stride.height, spec.pads.top, spec.dilation.height)
                    && live(t % kw, ow, x.width, spec.stride.width, spec.pads.left, spec.dilation.width)
            }
            let depthwise = groups > 1 && groups == x.channels && groups == out
            var weight = full
            if !depthwise && taps.count < kh * kw {
                let rows = out * (x.channels / groups)
                weight = [Float](unsafeUninitializedCapacity: rows * taps.count) { buffer, count in
                    for r in 0..<rows {
                        for (i, t) in taps.enumerated() { buffer[r * taps.count + i] = full[r * kh * kw + t] }
                    }
                    count = rows * taps.count
                }
            }
            var conv = ConvLayer(
                name: node.name, inChannels: x.channels, outChannels: out, groups: groups, kernelHeight: kh, kernelWidth: kw,
                taps: depthwise ? Array(0..<(kh * kw)) : taps, stride: spec.stride, pads: spec.pads, dilation: spec.dilation,
                inHeight: x.height, inWidth: x.width, outHeight: oh, outWidth: ow, activation: spec.activation,
                weight: weight, bias: try weights.floats(node.name + ".bias", shape: [out]),
                importance: try importance(node.name, units: out), winograd: nil)
            // A single input channel leaves Winograd's GEMMs with K = 1: im2col (K = 9) is better.
            // Below 9 tiles a layer is bound by its weights' traffic, and Winograd's are 16/9 larger.
            if conv.sameKernel == 3, x.channels >= 8, conv.winogradTiles >= 9 {
                conv.winograd = Winograd.transformWeights(weight, outChannels: out, inChannels: x.channels)
            }
            return (.conv(conv), TensorShape(channels: out, height: oh, width: ow))
        case .gemm(let activation):
            try arity(1)
            guard inputs[0].isFlat else { throw fail("needs a flat input (add a flatten), got \(inputs[0])") }
            let n = inputs[0].channels
            let weightName = node.name + ".weight"
            guard let entry = weights.entries[weightName], entry.shape.count == 2, entry.shape[1] == n else {
                let found = weights.entries[weightName].map { "\($0.shape)" } ?? "missing"
                throw ModelLoadError(file: weights.path, reason: "tensor '\(weightName)' should be [out, \(n)], found \(found)")
            }
            let out = entry.shape[0]
            let weight = try weights.floats(weightName)
            var inputMajor = [Float](repeating: 0, count: weight.count)
            for o in 0..<out {
                for j in 0..<n { inputMajor[j * out + o] = weight[o * n + j] }
            }
            let linear = LinearLayer(
                name: node.name, inputs: n, outputs: out, activation: activation, weight: weight, weightInputMajor: inputMajor,
                bias: try weights.floats(node.name + ".bias", shape: [out]), importance: try importance(node.name, units: out))
            return (.gemm(linear), .flat(out))
        case .activation(let f):
            try arity(1)
            return (.activation(f), inputs[0])
        case .add(let activation):
            try arity(2)
            guard inputs[0] == inputs[1] else { throw fail("adds \(inputs[0]) and \(inputs[1]); shapes must match") }
            return (.add(activation), inputs[0])
        case .mul:
            try arity(2)
            let (a, b) = (inputs[0], inputs[1])
            guard a == b || (b.isFlat && b.channels == a.channels) else {
                throw fail("multiplies \(a) by \(b); the second must match or be [\(a.channels), 1, 1]")
            }
            return (.mul, a)
        case .concat:
            guard inputs.count >= 2 else { throw fail("takes at least 2 inputs") }
            guard inputs.allSatisfy({ $0.height == inputs[0].height && $0.width == inputs[0].width }) else {
                throw fail("concatenates \(inputs.map(\.description).joined(separator: ", ")); heights and widths must match")
            }
            return (.concat, TensorShape(channels: inputs.reduce(0) { $0 + $1.channels }, height: inputs[0].height, width: inputs[0].width))
        case .maxPool(let spec), .averagePool(let spec):
            try arity(1)
            let x = inputs[0]
            let oh = (x.height + spec.pads.top + spec.pads.bottom - spec.kernel.height) / spec.stride.height + 1
            let ow = (x.width + spec.pads.left + spec.pads.right - spec.kernel.width) / spec.stride.width + 1
            guard x.height + spec.pads.top + spec.pads.bottom >= spec.kernel.height,
                x.width + spec.pads.left + spec.pads.right >= spec.kernel.width, oh > 0, ow > 0
            else { throw fail("kernel \(spec.kernel.height)x\(spec.kernel.width) does not fit input \(x)") }
            guard spec.pads.top < spec.kernel.height, spec.pads.bottom < spec.kernel.height,
                spec.pads.left < spec.kernel.width, spec.pads.right < spec.kernel.width
            else { throw fail("padding must be smaller than the kernel") }
            let pool = PoolLayer(
                kernel: spec.kernel, stride: spec.stride, pads: spec.pads, countIncludePad: spec.countIncludePad,
                channels: x.channels, inHeight: x.height, inWidth: x.width, outHeight: oh, outWidth: ow)
            let shape = TensorShape(channels: x.channels, height: oh, width: ow)
            if case .maxPool = node.op { return (.maxPool(pool), shape) }
            return (.averagePool(pool), shape)
        case .globalAveragePool:
            try arity(1)
            return (.globalAveragePool, .flat(inputs[0].channels))
        case .flatten:
            try arity(1)
            return (.flatten, .flat(inputs[0].elementCount))
        case .reshape(let dims):
            try arity(1)
            let shape: TensorShape
            switch dims.count {
            case 1: shape = .flat(dims[0])
            case 3: shape = TensorShape(channels: dims[0], height: dims[1], width: dims[2])
            default: throw fail("shape must have 1 or 3 per-sample dims, got \(dims)")
            }
            guard shape.elementCount == inputs[0].elementCount else {
                throw fail("reshapes \(inputs[0]) (\(inputs[0].elementCount) values) to \(dims)")
            }
            return (.reshape(shape), shape)
        case .softmax:
            try arity(1)
            guard inputs[0].isFlat else { throw fail("needs a flat input, got \(inputs[0])") }
            return (.softmax, inputs[0])
        }
    }

    private func importance(_ name: String, units: Int) throws(ModelLoadError) -> [Float]? {
        let tableName = "importance." + name
        guard weights.entries[tableName] != nil else { return nil }
        return try weights.floats(tableName, shape: [classCount, units])
    }
}
