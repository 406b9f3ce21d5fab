import Foundation
import ZenithCore

/// Runs a model's plans with OpenBLAS: GEMV at batch 1, GEMM for batches, Winograd F(2x2,3x3)
/// for 3x3 stride-1 convolutions and im2col + GEMM for the others.
///
/// An executor owns its scratch memory, sized once for `maxBatch`, so a run allocates only
/// small index arrays. It is not thread-safe: give each worker its own executor; they can
/// share one `Model`.
public final class Executor {
    public let model: Model
    public let maxBatch: Int

    /// Four activation buffers: 0/1 ping-pong for the trunk, 2/3 for the branch and per-sample runs.
    let buffers: [UnsafeMutablePointer<Float>]
    /// im2col columns, or Winograd's transformed input tiles.
    let columns: UnsafeMutablePointer<Float>
    /// Winograd's 16 GEMM products.
    let products: UnsafeMutablePointer<Float>
    let packed: UnsafeMutablePointer<Float>
    let vector: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    let selection: UnsafeMutablePointer<Int32>
    var multiplyAdds = 0

    public init(model: Model, maxBatch: Int? = nil) {
        self.model = model
        self.maxBatch = max(1, maxBatch ?? model.config.maxBatchSize)
        let activation = max(model.maxActivation, model.inputElementCount) * self.maxBatch
        buffers = (0..<4).map { _ in .allocate(capacity: activation) }
        // Convolutions run in chunks of samples sized to these budgets, one sample at the least.
        let winograd = max(Self.winogradBudget, model.maxWinograd) + Self.winogradSkew
        columns = .allocate(capacity: max(Self.columnBudget, model.maxColumns, winograd))
        products = .allocate(capacity: winograd)
        packed = .allocate(capacity: max(1, model.maxWeights))
        // One output vector of a layer, or Winograd's four output positions per tile of a plane.
        vector = .allocate(capacity: max(1, model.maxActivation, 4 * model.maxTiles))
        // Top-k values, or one zero-bordered plane for Winograd's input tiles.
        scratch = .allocate(capacity: max(1, model.maxActivation, model.maxPaddedPlane))
        selection = .allocate(capacity: max(1, model.maxActivation))
    }

    deinit {
        buffers.forEach { $0.deallocate() }
        columns.deallocate()
        products.deallocate()
        packed.deallocate()
        vector.deallocate()
        scratch.deallocate()
        selection.deallocate()
    }

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
        var exited = [Bool](repeating: false, count: batch)
        // Depth-first over groups of samples whose activations stay in L2 from layer to layer;
        // for the MLP (a few KiB per sample) a group is the whole batch, so GEMMs keep their width.
        let group = max(1, Self.activationBudget / max(1, model.maxActivation))
        input.withUnsafeBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { out in
                var first = 0
                while first < batch {
                    let count = min(group, batch - first)
                    let groupExits = runGroup(
                        compiled, input: inputBuffer.baseAddress! + first * model.inputElementCount, batch: count,
                        output: out.baseAddress! + first * model.classCount)
                    for (i, e) in groupExits.enumerated() { exited[first + i] = e }
                    first += count
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        let nanoseconds = UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
        return ExecutionReport(plan: plan, exited: exited, computeNanoseconds: nanoseconds, multiplyAdds: multiplyAdds)
    }

    /// Floats of one activation buffer per group of samples (1 MiB).
    static let activationBudget = 256 * 1024

    /// Runs one group of samples through the plan; returns which samples exited at the branch.
    private func runGroup(_ compiled: CompiledPlan, input: UnsafePointer<Float>, batch: Int, output: UnsafeMutablePointer<Float>) -> [Bool] {
        var exited = [Bool](repeating: false, count: batch)
        let x = load(input, batch: batch, into: 0)
        guard compiled.usesBranch, let branchAfter = model.branchAfter else {
            let logits = runTrunk(model.trunk.indices, x, plan: compiled, pair: (0, 1))
            store(logits, samples: Array(0..<batch), into: output)
            return exited
        }
        let atBranch = runTrunk(0..<(branchAfter + 1), x, plan: compiled, pair: (0, 1))
        let remaining = runBranch(atBranch, plan: compiled, exited: &exited, into: output)
        guard !remaining.isEmpty else { return exited }
        let rest = (branchAfter + 1)..<model.trunk.count
        if compiled.filterLayers.isEmpty {
            let other = atBranch.buffer == 0 ? 1 : 0
            let compacted = gatherSamples(atBranch, samples: remaining, into: other)
            let logits = runTrunk(rest, compacted, plan: compiled, pair: (other, atBranch.buffer))
            store(logits, samples: remaining, into: output)
        } else {
            // Each sample has its own filter subsets, so the rest of the trunk runs per sample.
            for sample in remaining {
                let subsets = filterSubsets(plan: compiled, sample: sample)
                let single = gatherSamples(atBranch, samples: [sample], into: 2)
                let logits = runTrunk(rest, single, plan: compiled, pair: (2, 3), subsets: subsets)
                store(logits, samples: [sample], into: output)
            }
        }
        return exited
    }

    /// Branch logits of the batch being run, `[classes][batch]`, kept for filter selection.
    var branchLogits: [Float] = []

    /// Runs the branch, writes the outputs of samples that exit, returns the others.
    private func runBranch(_ atBranch: Activation, plan: CompiledPlan, exited: inout [Bool], into out: UnsafeMutablePointer<Float>) -> [Int] {
        let logits = runLayers(model.branchLayers, from: atBranch, pair: (2, 3))
        let classes = model.classCount
        let batch = atBranch.batch
        branchLogits = [Float](unsafeUninitializedCapacity: classes * batch) { buffer, count in
            for i in 0..<(classes * batch) { buffer[i] = buffers[logits.buffer][i] }
            count = classes * batch
        }
        var remaining: [Int] = []
        for b in 0..<batch {
            if let threshold = plan.exitThreshold, topProbability(sample: b, batch: batch) >= Double(threshold) {
                exited[b] = true
                for c in 0..<classes { out[b * classes + c] = branchLogits[c * batch + b] }
            } else {
                remaining.append(b)
            }
        }
        return remaining
    }

    /// The branch's softmax probability of its most likely class for `sample`.
    private func topProbability(sample: Int, batch: Int) -> Double {
        var top = -Double.infinity
        for c in 0..<model.classCount { top = max(top, Double(branchLogits[c * batch + sample])) }
        var sum = 0.0
        for c in 0..<model.classCount { sum += exp(Double(branchLogits[c * batch + sample]) - top) }
        return 1 / sum
    }

    /// The filters each listed layer runs for `sample` of the last batch, from its branch logits.
    func filterSubsets(plan: CompiledPlan, sample: Int) -> [Int: [Int]] {
        guard !plan.filterLayers.isEmpty else { return [:] }
        let batch = branchLogits.count / model.classCount
        let logits = (0..<model.classCount).map { branchLogits[$0 * batch + sample] }
        let classes = FilterSelection.topClasses(logits, count: plan.filterClasses)
        var subsets: [Int: [Int]] = [:]
        for (layer, rule) in plan.filterLayers {
            guard case .conv(let conv) = model.trunk[layer], let table = conv.importance else { continue }
            subsets[layer] = FilterSelection.select(
                importance: table, filters: conv.outChannels, classes: classes, perClass: rule.perClass, cap: rule.cap)
        }
        return subsets
    }

    /// Runs `range` of the trunk, alternating between the two buffers of `pair`.
    private func runTrunk(
        _ range: Range<Int>, _ input: Activation, plan: CompiledPlan, pair: (Int, Int), subsets: [Int: [Int]] = [:]
    ) -> Activation {
        var act = input
        for i in range {
            let target = act.buffer == pair.0 ? pair.1 : pair.0
            act = apply(model.trunk[i], to: act, into: target, keep: plan.keep[i], topk: plan.topk[i], filters: subsets[i])
        }
        return act
    }

    private func runLayers(_ layers: [Layer], from input: Activation, pair: (Int, Int)) -> Activation {
        var act = input
        for layer in layers {
            let target = act.buffer == pair.0 ? pair.1 : pair.0
            act = apply(layer, to: act, into: target, keep: nil, topk: nil, filters: nil)
        }
        return act
    }

    private func apply(_ layer: Layer, to act: Activation, into target: Int, keep: Int?, topk: Int?, filters: [Int]?) -> Activation {
        switch layer {
        case .conv(let conv):
            if let transformed = conv.winograd {
                winogradConvolve(conv, act, into: target, filters: filters, transformed: transformed)
            } else {
                convolve(conv, act, into: target, filters: filters)
            }
        case .maxPool(let pool): maxPool(pool, act, into: target)
        case .globalAveragePool: globalAveragePool(act, into: target)
        case .flatten: flatten(act, into: target)
        case .linear(let linear): fullyConnected(linear, act, into: target, keep: keep, topk: topk)
        }
    }

    /// Copies sample-major input into the channel-major layout.
    private func load(_ input: UnsafePointer<Float>, batch: Int, into target: Int) -> Activation {
        let dims = model.config.inputs[0].dims
        let channels = dims[0]
        let (height, width) = dims.count == 3 ? (dims[1], dims[2]) : (1, 1)
        let spatial = height * width
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
        return Activation(buffer: target, channels: channels, height: height, width: width, batch: batch)
    }

    /// Writes final `[classes][batch]` logits to the output rows of `samples`.
    private func store(_ logits: Activation, samples: [Int], into out: UnsafeMutablePointer<Float>) {
        let source = buffers[logits.buffer]
        let classes = model.classCount
        for (b, sample) in samples.enumerated() {
            for c in 0..<classes { out[sample * classes + c] = source[c * logits.batch + b] }
        }
    }

    /// Copies the given samples of `act` into buffer `target`, compacting the batch.
    private func gatherSamples(_ act: Activation, samples: [Int], into target: Int) -> Activation {
        let source = buffers[act.buffer]
        let out = buffers[target]
        let spatial = act.spatial
        for c in 0..<act.channels {
            for (b, sample) in samples.enumerated() {
                (out + (c * samples.count + b) * spatial).update(from: source + (c * act.batch + sample) * spatial, count: spatial)
            }
        }
        var result = act
        result.buffer = target
        result.batch = samples.count
        return result
    }
}

