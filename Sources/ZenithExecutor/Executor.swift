import Foundation
import ZenithCore

/// Runs a model's plans over its graph with OpenBLAS: GEMV at batch 1, GEMM for batches,
/// Winograd F(2x2,3x3) for 3x3 "same" convolutions, im2col + GEMM for the others and a direct
/// kernel for depthwise ones.
///
/// An executor owns its memory, sized once from the model's memory plan: a run allocates only
/// small index arrays. It is not thread-safe: give each worker its own executor; they can
/// share one `Model`.
public final class Executor {
    public let model: Model
    public let maxBatch: Int
    /// Samples run together through the graph; larger batches run in groups of this many.
    let groupCapacity: Int

    /// The slot pointers kernels read and write: `batchSlots` for a group, `singleSlots` while
    /// the samples left after a filter branch run one by one.
    var buffers: [UnsafeMutablePointer<Float>]
    let batchSlots: [UnsafeMutablePointer<Float>]
    let singleSlots: [UnsafeMutablePointer<Float>]
    /// im2col columns, or Winograd's transformed input tiles.
    let columns: UnsafeMutablePointer<Float>
    /// Winograd's 16 GEMM products.
    let products: UnsafeMutablePointer<Float>
    let packed: UnsafeMutablePointer<Float>
    let vector: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    let selection: UnsafeMutablePointer<Int32>
    var multiplyAdds = 0

    /// Per tensor, during a run: where it is and which of its channels were computed.
    var tensors: [Activation?]
    /// Per sample of the group: 0, or 1 + the branch it left at.
    var exitPoints: [Int] = []
    /// Per sample of the last group that ran with filter subsets: conv node -> the filters it
    /// computed (convs after the branch a sample left at are not listed).
    var chosenFilters: [Int: [Int: [Int]]] = [:]

    public init(model: Model, maxBatch: Int? = nil) {
        self.model = model
        self.maxBatch = max(1, maxBatch ?? model.config.maxBatchSize)
        let graph = model.graph
        let largest = graph.shapes.map(\.elementCount).max() ?? 1
        // Depth-first over groups of samples whose activations stay in L2 from node to node; for
        // an MLP (a few KiB per sample) a group is the whole batch, so GEMMs keep their width.
        groupCapacity = min(self.maxBatch, max(1, Self.activationBudget / largest))
        let capacity = groupCapacity
        batchSlots = model.memory.floatsPerSample.map { .allocate(capacity: max(1, $0 * capacity)) }
        singleSlots = model.memory.floatsPerSample.map { .allocate(capacity: max(1, $0)) }
        buffers = batchSlots
        tensors = [Activation?](repeating: nil, count: graph.shapes.count)

        var maxColumns = 0, maxWinograd = 0, maxTiles = 0, maxPaddedPlane = 0, maxWeights = 1
        for node in graph.nodes {
            switch node.operation {
            case .conv(let c):
                maxColumns = max(maxColumns, c.patchSize * c.outHeight * c.outWidth)
                if c.isDepthwise {
                    // depthwise3x3's zero-bordered plane.
                    maxPaddedPlane = max(
                        maxPaddedPlane, (c.inHeight + c.pads.top + c.pads.bottom) * (c.inWidth + c.pads.left + c.pads.right))
                }
                maxWeights = max(maxWeights, c.weight.count, c.winograd?.count ?? 0)
                if c.winograd != nil {
                    maxWinograd = max(maxWinograd, 16 * (c.inChannels + c.outChannels) * c.winogradTiles)
                    maxTiles = max(maxTiles, c.winogradTiles)
                    // The padded plane, then four rows of Bᵀ d.
                    maxPaddedPlane = max(maxPaddedPlane, (c.outHeight + 3) * (c.outWidth + 3) + 4 * (c.outWidth + 3))
                }
            case .gemm(let l): maxWeights = max(maxWeights, l.weight.count)
            default: break
            }
        }
        // Convolutions run in chunks of samples sized to these budgets, one sample at the least.
        let winograd = max(Self.winogradBudget, maxWinograd) + Self.winogradSkew
        columns = .allocate(capacity: max(Self.columnBudget, maxColumns, winograd))
        products = .allocate(capacity: winograd)
        packed = .allocate(capacity: maxWeights)
        // One output vector of a layer, or Winograd's four output positions per tile of a plane.
        vector = .allocate(capacity: max(1, largest, 4 * maxTiles))
        // Top-k values, or one zero-bordered plane for Winograd's input tiles.
        scratch = .allocate(capacity: max(1, largest, maxPaddedPlane))
        selection = .allocate(capacity: max(1, largest))
    }

    deinit {
        batchSlots.forEach { $0.deallocate() }
        singleSlots.forEach { $0.deallocate() }
        columns.deallocate()
        products.deallocate()
        packed.deallocate()
        vector.deallocate()
        scratch.deallocate()
        selection.deallocate()
    }

    /// Floats of the largest tensor per group of samples (1 MiB).
    static let activationBudget = 256 * 1024

    /// Runs plan `plan` on `batch` samples.
    ///
    /// - Parameters:
    ///   - input: `batch` samples back to back, each `model.inputElementCount` floats.
    ///   - output: receives `batch * model.classCount` logits, sample-major.
    public func run(plan: Int, input: [Float], batch: Int, output: inout [Float]) throws(ExecutorError) -> ExecutionReport {
        guard model.plans.indices.contains(plan) else { throw .unknownPlan(plan) }
        guard (1...maxBatch).contains(batch) else { throw .batchSize(batch, max: maxBatch) }
        guard input.count == batch * model.inputElementCount else {
            throw .inputSize(got: input.count, expected: batch * model.inputElementCount)
        }
        let start = ContinuousClock.now
        multiplyAdds = 0
        if output.count != batch * model.classCount {
            output = [Float](repeating: 0, count: batch * model.classCount)
        }
        let compiled = model.plans[plan]
        var exitBranch = [Int](repeating: 0, count: batch)
        input.withUnsafeBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { out in
                var first = 0
                while first < batch {
                    let count = min(groupCapacity, batch - first)
                    runGroup(
                        compiled, input: inputBuffer.baseAddress! + first * model.inputElementCount, batch: count,
                        output: out.baseAddress! + first * model.classCount)
                    for i in 0..<count { exitBranch[first + i] = exitPoints[i] }
                    first += count
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        let nanoseconds = UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
        return ExecutionReport(
            plan: plan, exitBranch: exitBranch, computeNanoseconds: nanoseconds, multiplyAdds: multiplyAdds)
    }

    private func runGroup(_ plan: CompiledPlan, input: UnsafePointer<Float>, batch: Int, output: UnsafeMutablePointer<Float>) {
        exitPoints = [Int](repeating: 0, count: batch)
        if !chosenFilters.isEmpty { chosenFilters = [:] }
        buffers = batchSlots
        for t in tensors.indices { tensors[t] = nil }
        let graph = model.graph
        tensors[graph.input] = load(input, batch: batch, into: model.memory.slot[graph.input])
        runSteps(from: 0, rows: Array(0..<batch), plan: plan, subsets: [:], output: output)
    }

    /// Runs the graph's steps from `start` for the samples now in the tensors, whose output rows
    /// are `rows`; samples leave at exit checks, and after a filter branch the rest go one by one.
    private func runSteps(from start: Int, rows initialRows: [Int], plan: CompiledPlan, subsets: [Int: [Int]], output: UnsafeMutablePointer<Float>) {
        let graph = model.graph
        var rows = initialRows
        for s in start..<graph.steps.count {
            switch graph.steps[s] {
            case .node(let i):
                let node = graph.nodes[i]
                if let b = node.branch, !plan.runs(branch: b) { continue }
                tensors[node.output] = execute(node, index: i, plan: plan, filters: subsets[i])
            case .exitCheck(let b):
                guard plan.runs(branch: b), let logits = tensors[graph.branches[b].output] else { continue }
                var staying: [Int] = []
                for position in rows.indices {
                    if let threshold = plan.exitThresholds[b], topProbability(logits, sample: position) >= Double(threshold) {
                        store(logits, positions: [position], rows: [rows[position]], into: output)
                        exitPoints[rows[position]] = b + 1
                        // Filters chosen at an earlier branch for convs it now never runs.
                        if let chosen = chosenFilters[rows[position]] {
                            chosenFilters[rows[position]] = chosen.filter { graph.step(of: $0.key) < s }
                        }
                    } else {
                        staying.append(position)
                    }
                }
                if staying.isEmpty { return }
                let classes = plan.filterBranch == b ? staying.map { branchLogits(logits, sample: $0) } : []
                if staying.count < rows.count {
                    for t in graph.liveAtExit[b] { tensors[t] = compact(tensors[t]!, keeping: staying) }
                    rows = staying.map { rows[$0] }
                }
                guard plan.filterBranch == b, !plan.filterLayers.isEmpty else { continue }
                // Each sample has its own filter subsets, so the rest of the graph runs per sample.
                let batched = tensors
                for (k, row) in rows.enumerated() {
                    var single = batched
                    for t in graph.liveAtExit[b] { single[t] = extract(batched[t]!, sample: k) }
                    tensors = single
                    buffers = singleSlots
                    let subsets = filterSubsets(plan: plan, logits: classes[k])
                    chosenFilters[row] = subsets
                    runSteps(from: s + 1, rows: [row], plan: plan, subsets: subsets, output: output)
                }
                buffers = batchSlots
                return
            }
        }
        store(tensors[graph.output]!, positions: Array(rows.indices), rows: rows, into: output)
    }

    private func execute(_ node: GraphNode, index i: Int, plan: CompiledPlan, filters: [Int]?) -> Activation {
        let target = model.memory.slot[node.output]
        let x = tensors[node.inputs[0]]!
        switch node.operation {
        case .conv(let conv): return convolve(conv, x, into: target, filters: filters)
        case .gemm(let layer): return fullyConnected(layer, x, into: target, keep: plan.keep[i], topk: plan.topk[i])
        case .activation(let f): return activation(f, x, into: target)
        case .add(let f): return add(x, tensors[node.inputs[1]]!, activation: f, into: target)
        case .mul: return multiply(x, tensors[node.inputs[1]]!, into: target)
        case .concat: return concat(node.inputs.map { tensors[$0]! }, into: target)
        case .maxPool(let pool): return maxPool(pool, x, into: target)
        case .averagePool(let pool): return averagePool(pool, x, into: target)
        case .globalAveragePool: return globalAveragePool(x, into: target)
        case .flatten: return flatten(x, into: target)
        case .reshape(let shape): return reshape(x, to: shape, into: target)
        case .softmax: return softmax(x, into: target)
        }
    }

    /// The logits of `sample` from a `[classes][batch]` tensor.
    private func branchLogits(_ logits: Activation, sample: Int) -> [Float] {
        let source = buffers[logits.buffer]
        return (0..<model.classCount).map { source[$0 * logits.batch + sample] }
    }

    /// The softmax probability of the most likely class of `sample`.
    private func topProbability(_ logits: Activation, sample: Int) -> Double {
        let source = buffers[logits.buffer]
        var top = -Double.infinity
        for c in 0..<model.classCount { top = max(top, Double(source[c * logits.batch + sample])) }
        var sum = 0.0
        for c in 0..<model.classCount { sum += exp(Double(source[c * logits.batch + sample]) - top) }
        return 1 / sum
    }

    /// The filters each listed conv computes for a sample with these branch logits.
    func filterSubsets(plan: CompiledPlan, logits: [Float]) -> [Int: [Int]] {
        let classes = FilterSelection.topClasses(logits, count: plan.filterClasses)
        var subsets: [Int: [Int]] = [:]
        for (node, rule) in plan.filterLayers {
            guard case .conv(let conv) = model.graph.nodes[node].operation, let table = conv.importance else { continue }
            subsets[node] = FilterSelection.select(
                importance: table, filters: conv.outChannels, classes: classes, perClass: rule.perClass, cap: rule.cap)
        }
        return subsets
    }

    /// Copies sample-major input into the channel-major layout.
    private func load(_ input: UnsafePointer<Float>, batch: Int, into target: Int) -> Activation {
        let shape = model.graph.shapes[model.graph.input]
        let (channels, spatial) = (shape.channels, shape.spatial)
        let out = buffers[target]
        if spatial == 1 {
            // A flat input is a transpose: a copy call per float would cost more than the float. In
            // blocks of 16 features, so the rows written stay in cache while the batch is swept.
            var first = 0
            while first < channels {
                let end = min(first + 16, channels)
                for b in 0..<batch {
                    let row = input + b * channels
                    for c in first..<end { out[c * batch + b] = row[c] }
                }
                first = end
            }
        } else {
            for b in 0..<batch {
                for c in 0..<channels {
                    (out + (c * batch + b) * spatial).update(from: input + (b * channels + c) * spatial, count: spatial)
                }
            }
        }
        return Activation(buffer: target, channels: channels, height: shape.height, width: shape.width, batch: batch)
    }

    /// Writes `[classes][batch]` logits at `positions` to the output rows `rows`.
    private func store(_ logits: Activation, positions: [Int], rows: [Int], into out: UnsafeMutablePointer<Float>) {
        let source = buffers[logits.buffer]
        let classes = model.classCount
        for (position, row) in zip(positions, rows) {
            for c in 0..<classes { out[row * classes + c] = source[c * logits.batch + position] }
        }
    }

    /// Keeps the samples at `positions` (ascending) of `act`, in place: each moves to a lower
    /// or equal offset, so going forward never overwrites one not yet moved.
    private func compact(_ act: Activation, keeping positions: [Int]) -> Activation {
        let base = buffers[act.buffer]
        let spatial = act.spatial
        for c in 0..<act.channels {
            for (b, sample) in positions.enumerated() {
                let destination = base + (c * positions.count + b) * spatial
                let source = base + (c * act.batch + sample) * spatial
                if destination != source { memmove(destination, source, spatial * MemoryLayout<Float>.size) }
            }
        }
        var result = act
        result.batch = positions.count
        return result
    }

    /// Copies one sample of a batched tensor into the same slot of the single-sample memory.
    private func extract(_ act: Activation, sample: Int) -> Activation {
        let source = batchSlots[act.buffer]
        let out = singleSlots[act.buffer]
        let spatial = act.spatial
        for c in 0..<act.channels {
            (out + c * spatial).update(from: source + (c * act.batch + sample) * spatial, count: spatial)
        }
        var result = act
        result.batch = 1
        return result
    }
}
