import Foundation
import Testing
import ZenithJSON
@testable import ZenithExecutor

/// A `graph` config that does not fit its weights or the format is refused at load with the
/// node and the fault named, never run.
@Suite struct GraphLoadingTests {
    /// A residual block: conv a -> conv b, added to the input of a, then pooled into a gemm.
    static func graph(nodes: [JSONValue]? = nil, plans: [JSONValue] = [], branches: [JSONValue] = []) -> JSONValue {
        let defaultNodes: [JSONValue] = [
            ["name": "a", "op": "conv", "inputs": ["input"], "output": "a", "pads": [1, 1, 1, 1], "activation": "relu"],
            ["name": "b", "op": "conv", "inputs": ["a"], "output": "b", "pads": [1, 1, 1, 1]],
            ["name": "sum", "op": "add", "inputs": ["b", "input"], "output": "sum", "activation": "relu"],
            ["name": "pool", "op": "global_avgpool", "inputs": ["sum"], "output": "pool"],
            ["name": "flat", "op": "flatten", "inputs": ["pool"], "output": "flat"],
            ["name": "fc", "op": "gemm", "inputs": ["flat"], "output": "logits"],
        ]
        return [
            "name": "tiny-graph", "max_batch_size": 4, "labels": "labels.txt",
            "inputs": [["name": "input", "datatype": "FP32", "dims": [4, 5, 5]]],
            "outputs": [["name": "logits", "datatype": "FP32", "dims": [10]]],
            "graph": [
                "input": "input", "output": "logits", "nodes": .array(nodes ?? defaultNodes), "branches": .array(branches),
            ],
            "plans": .array([["name": "dense"]] + plans),
        ]
    }

    static let tensors: [(String, [Int], [Float])] = [
        ("a.weight", [4, 4, 3, 3], [Float](repeating: 0.01, count: 144)), ("a.bias", [4], [0, 0, 0, 0]),
        ("b.weight", [4, 4, 3, 3], [Float](repeating: 0.02, count: 144)), ("b.bias", [4], [0, 0, 0, 0]),
        ("fc.weight", [10, 4], [Float](repeating: 0.1, count: 40)), ("fc.bias", [10], [Float](repeating: 0, count: 10)),
        ("importance.a", [10, 4], [Float](repeating: 0.25, count: 40)),
        ("importance.b", [10, 4], [Float](repeating: 0.25, count: 40)),
        ("h.weight", [10, 4], [Float](repeating: 0.1, count: 40)), ("h.bias", [10], [Float](repeating: 0, count: 10)),
    ]

    static let branch: JSONValue = [
        "name": "early", "at": "input", "output": "early_logits",
        "nodes": [
            ["name": "hp", "op": "global_avgpool", "inputs": ["input"], "output": "hp"],
            ["name": "hf", "op": "flatten", "inputs": ["hp"], "output": "hf"],
            ["name": "h", "op": "gemm", "inputs": ["hf"], "output": "early_logits"],
        ],
    ]

    func reason(_ config: JSONValue, tensors: [(String, [Int], [Float])] = tensors) throws -> String? {
        let folder = try TestModelFolder()
        defer { folder.remove() }
        try folder.write(config: config, tensors: tensors)
        do {
            _ = try Model(directory: folder.directory)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func aResidualGraphWithABranchLoadsAndRuns() throws {
        let folder = try TestModelFolder()
        defer { folder.remove() }
        try folder.write(
            config: Self.graph(plans: [["name": "early", "exits": ["early": 0]]], branches: [Self.branch]), tensors: Self.tensors)
        let model = try Model(directory: folder.directory)
        let executor = Executor(model: model)
        var output: [Float] = []
        let report = try executor.run(plan: 1, input: [Float](repeating: 1, count: 200), batch: 2, output: &output)
        #expect(report.exitBranch == [1, 1])
        #expect(output.count == 20)
    }

    @Test func nodesThatDoNotFitAreNamed() throws {
        var nodes = [JSONValue]()
        nodes = [["name": "x", "op": "lstm", "inputs": ["input"], "output": "logits"]]
        #expect(try reason(Self.graph(nodes: nodes))?.contains("node 'x': unknown op 'lstm' (supported: conv, gemm") == true)
        nodes = [["name": "fc", "op": "gemm", "inputs": ["nowhere"], "output": "logits"]]
        #expect(try reason(Self.graph(nodes: nodes))?.contains("('fc', gemm): reads 'nowhere', which no earlier node writes") == true)
        nodes = [["name": "fc", "op": "gemm", "inputs": ["input"], "output": "logits"]]
        #expect(try reason(Self.graph(nodes: nodes))?.contains("('fc', gemm): needs a flat input (add a flatten), got [4, 5, 5]") == true)
        nodes = [
            ["name": "p", "op": "maxpool", "inputs": ["input"], "output": "p", "kernel": [2, 2]],
            ["name": "sum", "op": "add", "inputs": ["p", "input"], "output": "logits"],
        ]
        #expect(try reason(Self.graph(nodes: nodes))?.contains("('sum', add): adds [4, 2, 2] and [4, 5, 5]; shapes must match") == true)
        nodes = [["name": "r", "op": "reshape", "inputs": ["input"], "output": "logits", "shape": [7]]]
        #expect(try reason(Self.graph(nodes: nodes))?.contains("reshapes [4, 5, 5] (100 values) to [7]") == true)
        nodes = [["name": "f", "op": "flatten", "inputs": ["input"], "output": "logits"]]
        #expect(try reason(Self.graph(nodes: nodes))?.contains("graph.output 'logits' has shape [100], expected [10] logits") == true)
    }

    /// Sizes a config gives are bounded, so that the shape arithmetic of the graph cannot
    /// overflow: unbounded, pads or a dilation of 2^62 trap the loader (the model-config fuzz
    /// target's regression cases: Tests/Fuzz/corpus/model-config/regression-*).
    @Test func sizesBeyondAnyNetworkAreRefusedBeforeTheyOverflow() throws {
        let huge: JSONValue = 4_611_686_018_427_387_904
        var nodes = [JSONValue]()
        nodes = [["name": "a", "op": "conv", "inputs": ["input"], "output": "logits", "pads": [0, 0, huge, huge]]]
        #expect(try reason(Self.graph(nodes: nodes))?.contains("pads[2]: must be an integer in 0...4096") == true)
        nodes = [["name": "a", "op": "conv", "inputs": ["input"], "output": "logits", "dilation": [huge, 1]]]
        #expect(try reason(Self.graph(nodes: nodes))?.contains("dilation[0]: must be an integer in 1...4096") == true)
        var config = Self.graph().objectValue!
        config["inputs"] = [["name": "input", "datatype": "FP32", "dims": [1_048_576, 1_048_576, 1_048_576]]]
        #expect(try reason(.object(config))?.contains("describes more than 268435456 elements") == true)
    }

    /// An empty conv weight may claim any kernel size (0 output channels hold no bytes); a kernel
    /// of 2^62, dilated, would overflow the output size arithmetic and trap.
    @Test func aConvWeightWithAnImpossibleKernelIsRefused() throws {
        let empty = Self.tensors.map { $0.0 == "a.weight" ? ("a.weight", [0, 4, 1 << 62, 1], []) : $0 }
        let nodes: [JSONValue] = [
            ["name": "a", "op": "conv", "inputs": ["input"], "output": "a", "dilation": [4, 4]],
            ["name": "pool", "op": "global_avgpool", "inputs": ["a"], "output": "pool"],
            ["name": "flat", "op": "flatten", "inputs": ["pool"], "output": "flat"],
            ["name": "fc", "op": "gemm", "inputs": ["flat"], "output": "logits"],
        ]
        #expect(
            try reason(Self.graph(nodes: nodes), tensors: empty)?.contains("tensor 'a.weight' should be [out, 4, kh, kw]")
                == true)
    }

    @Test func weightsThatDoNotFitAreNamed() throws {
        let wrong = Self.tensors.map { $0.0 == "b.weight" ? ("b.weight", [4, 2, 3, 3], [Float](repeating: 0, count: 72)) : $0 }
        #expect(try reason(Self.graph(), tensors: wrong)?.contains("tensor 'b.weight' should be [out, 4, kh, kw], found [4, 2, 3, 3]") == true)
    }

    @Test func filtersStayOffResidualStreams() throws {
        let onB: JSONValue = ["name": "p", "filters": ["branch": "early", "classes": 2, "layers": ["b": ["per_class": 1, "cap": 2]]]]
        #expect(
            try reason(Self.graph(plans: [onB], branches: [Self.branch]))?
                .contains("filters on 'b': 'b' flows into 'sum', which mixes channels") == true)
        // Conv a feeds conv b alone: a subset of its channels is allowed.
        let onA: JSONValue = ["name": "p", "filters": ["branch": "early", "classes": 2, "layers": ["a": ["per_class": 1, "cap": 2]]]]
        #expect(try reason(Self.graph(plans: [onA], branches: [Self.branch])) == nil)
        let noBranch: JSONValue = ["name": "p", "exits": ["late": 0.5]]
        #expect(try reason(Self.graph(plans: [noBranch], branches: [Self.branch]))?.contains("no branch named 'late'") == true)
    }

    @Test func branchesMustReadOneTrunkTensor() throws {
        var bad = Self.branch.objectValue!
        bad["at"] = "logits"
        #expect(try reason(Self.graph(branches: [.object(bad)]))?.contains("'at' must name a trunk tensor other than the output") == true)
    }
}
