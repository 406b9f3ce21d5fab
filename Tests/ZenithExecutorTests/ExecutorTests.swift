import Testing
import ZenithJSON
@testable import ZenithExecutor

/// Every plan kind of the executor against the naive reference, on synthetic weights.
@Suite struct ExecutorTests {
    /// Exit plans use `threshold`; tests pick one that splits their batch so both paths run.
    static func cnnPlans(threshold: Double = 0.5) -> [JSONValue] {
        [
            ["name": "exit", "exit": ["threshold": .double(threshold)]],
            ["name": "filters", "filters": ["classes": 2, "layers": ["c2": ["per_class": 2, "cap": 3], "c3": ["per_class": 3, "cap": 4]]]],
            ["name": "exit-filters", "exit": ["threshold": .double(threshold)],
             "filters": ["classes": 3, "layers": ["c3": ["per_class": 2, "cap": 5]]]],
        ]
    }

    static let mlpPlans: [JSONValue] = [
        ["name": "prefix", "width": ["fc1": ["keep": 9], "fc2": ["keep": 7]]],
        ["name": "topk", "width": ["fc1": ["topk": 5], "fc2": ["topk": 4]]],
        ["name": "mixed", "width": ["fc1": ["keep": 12, "topk": 6], "fc2": ["keep": 10]]],
    ]

    func inputs(_ count: Int, size: Int, seed: UInt64) -> [Float] {
        var random = SeededRandom(state: seed)
        return random.floats(count * size, scale: 1).map { abs($0) }
    }

    /// The tiny CNN of `SyntheticModels` under a plan, per FORMAT.md, one sample.
    func referenceCNN(_ x: [Float], tensors: [String: [Float]], plan: JSONValue) -> (logits: [Float], exited: Bool) {
        var t = Reference.Tensor(values: x, c: 1, h: 10, w: 10)
        t = Reference.conv(t, weight: tensors["c1.weight"]!, bias: tensors["c1.bias"]!, out: 8, k: 3, stride: 1, pad: 1, relu: true)
        let branchInput = t
        let pooled = Reference.maxPool(branchInput, k: 2, stride: 2)
        let branch = Reference.linear(pooled.values, weight: tensors["b1.weight"]!, bias: tensors["b1.bias"]!, out: 10, relu: false)
        if let threshold = plan["exit"]?["threshold"]?.doubleValue, Reference.softmaxMax(branch) >= threshold {
            return (branch, true)
        }
        let filterLayers = plan["filters"]?["layers"]
        let classCount = plan["filters"]?["classes"]?.intValue ?? 0
        let classes = Array(branch.indices.sorted { branch[$0] != branch[$1] ? branch[$0] > branch[$1] : $0 < $1 }.prefix(classCount))
        func masked(_ t: Reference.Tensor, _ layer: String, units: Int) -> Reference.Tensor {
            guard let rule = filterLayers?[layer] else { return t }
            let kept = Reference.filters(
                table: tensors["importance.\(layer)"]!, units: units, classes: classes,
                perClass: rule["per_class"]!.intValue!, cap: rule["cap"]!.intValue!)
            return Reference.mask(t, keeping: kept)
        }
        t = Reference.maxPool(t, k: 2, stride: 2)
        t = masked(Reference.conv(t, weight: tensors["c2.weight"]!, bias: tensors["c2.bias"]!, out: 6, k: 3, stride: 1, pad: 1, relu: true), "c2", units: 6)
        t = masked(Reference.conv(t, weight: tensors["c3.weight"]!, bias: tensors["c3.bias"]!, out: 8, k: 3, stride: 2, pad: 1, relu: true), "c3", units: 8)
        let features = Reference.globalAveragePool(t)
        return (Reference.linear(features, weight: tensors["fc.weight"]!, bias: tensors["fc.bias"]!, out: 10, relu: false), false)
    }

    func referenceMLP(_ x: [Float], tensors: [String: [Float]], plan: JSONValue) -> [Float] {
        var h = x
        for (i, (name, out)) in [("fc1", 16), ("fc2", 16), ("fc3", 10)].enumerated() {
            h = Reference.linear(h, weight: tensors[name + ".weight"]!, bias: tensors[name + ".bias"]!, out: out, relu: i < 2)
            if let keep = plan["width"]?[name]?["keep"]?.intValue {
                h = h.indices.map { $0 < keep ? h[$0] : 0 }
            }
            if let k = plan["width"]?[name]?["topk"]?.intValue { h = Reference.keepTopK(h, k) }
        }
        return h
    }

    func expectClose(_ a: ArraySlice<Float>, _ b: [Float], _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let worst = zip(a, b).map { abs($0 - $1) / (1e-3 + abs($1)) }.max() ?? 0
        #expect(worst < 1e-4, "\(context): relative error \(worst)", sourceLocation: sourceLocation)
    }

    @Test func cnnPlansMatchTheReference() throws {
        let folder = try TestModelFolder()
        defer { folder.remove() }
        let tensors = SyntheticModels.cnnTensors()
        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.0, $0.2) })
        let batch = 8
        let x = inputs(batch, size: 100, seed: 7)
        // The median branch confidence of the batch: half the samples exit, half run on.
        let confidences = (0..<batch).map { b in
            Reference.softmaxMax(referenceCNN(Array(x[(b * 100)..<((b + 1) * 100)]), tensors: byName, plan: ["name": "branch", "exit": ["threshold": 0.0]]).logits)
        }.sorted()
        let threshold = (confidences[batch / 2 - 1] + confidences[batch / 2]) / 2
        let plans = Self.cnnPlans(threshold: threshold)
        try folder.write(config: SyntheticModels.cnnConfig(plans: plans), tensors: tensors)
        let model = try Model(directory: folder.directory)
        let executor = Executor(model: model)
        var exitsSeen = 0
        for (index, plan) in ([["name": "dense"]] + plans).enumerated() {
            var output: [Float] = []
            let report = try executor.run(plan: index, input: x, batch: batch, output: &output)
            for b in 0..<batch {
                let expected = referenceCNN(Array(x[(b * 100)..<((b + 1) * 100)]), tensors: byName, plan: plan)
                expectClose(output[(b * 10)..<((b + 1) * 10)], expected.logits, "plan \(index) sample \(b)")
                #expect(report.exited[b] == expected.exited, "plan \(index) sample \(b) exit")
            }
            exitsSeen += report.exitCount
            // Running the samples one at a time gives the same answers as the batch.
            for b in 0..<batch {
                var single: [Float] = []
                _ = try executor.run(plan: index, input: Array(x[(b * 100)..<((b + 1) * 100)]), batch: 1, output: &single)
                expectClose(single[0..<10], Array(output[(b * 10)..<((b + 1) * 10)]), "plan \(index) sample \(b) alone")
            }
        }
        #expect(exitsSeen == batch, "two exit plans, each exiting half of the batch")
    }

    @Test func mlpPlansMatchTheReference() throws {
        let folder = try TestModelFolder()
        defer { folder.remove() }
        let tensors = SyntheticModels.mlpTensors()
        try folder.write(config: SyntheticModels.mlpConfig(plans: Self.mlpPlans), tensors: tensors)
        let model = try Model(directory: folder.directory)
        let executor = Executor(model: model)
        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.0, $0.2) })
        let x = inputs(5, size: 12, seed: 11)
        for (index, plan) in ([["name": "dense"]] + Self.mlpPlans).enumerated() {
            for batch in [1, 2, 4, 5] {  // GEMV, strided GEMVs (up to gemvBatchLimit), GEMM
                var output: [Float] = []
                let report = try executor.run(plan: index, input: Array(x[0..<(batch * 12)]), batch: batch, output: &output)
                for b in 0..<batch {
                    expectClose(output[(b * 10)..<((b + 1) * 10)], referenceMLP(Array(x[(b * 12)..<((b + 1) * 12)]), tensors: byName, plan: plan),
                                "plan \(index) batch \(batch) sample \(b)")
                }
                if index == 1 {
                    // keep 9 of 16, then 7 of 16: fewer multiply-adds than dense, exactly.
                    #expect(report.multiplyAdds == batch * (12 * 9 + 9 * 7 + 7 * 10))
                }
            }
        }
        #expect(model.denseMultiplyAdds == 12 * 16 + 16 * 16 + 16 * 10)
    }

    @Test func rejectsBadCalls() throws {
        let folder = try TestModelFolder()
        defer { folder.remove() }
        try folder.write(config: SyntheticModels.mlpConfig(plans: []), tensors: SyntheticModels.mlpTensors())
        let executor = Executor(model: try Model(directory: folder.directory))
        var output: [Float] = []
        #expect(throws: ExecutorError.unknownPlan(3)) { try executor.run(plan: 3, input: [Float](repeating: 0, count: 12), batch: 1, output: &output) }
        #expect(throws: ExecutorError.batchSize(9, max: 8)) { try executor.run(plan: 0, input: [Float](repeating: 0, count: 108), batch: 9, output: &output) }
        #expect(throws: ExecutorError.inputSize(got: 11, expected: 12)) { try executor.run(plan: 0, input: [Float](repeating: 0, count: 11), batch: 1, output: &output) }
    }
}
