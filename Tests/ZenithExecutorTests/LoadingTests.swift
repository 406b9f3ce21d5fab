import Foundation
import Testing
import ZenithJSON
@testable import ZenithExecutor

/// A broken model folder gives an error naming the file and the fault, never a crash.
@Suite struct LoadingTests {
    func load(_ configure: (TestModelFolder) throws -> Void) throws -> ModelLoadError? {
        let folder = try TestModelFolder()
        defer { folder.remove() }
        try configure(folder)
        do {
            _ = try Model(directory: folder.directory)
            return nil
        } catch {
            return error
        }
    }

    func expectError(file: String, reason: String, _ configure: (TestModelFolder) throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let error = try load(configure)
        #expect(error?.file.hasSuffix(file) == true, "file: \(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.reason.contains(reason) == true, "reason: \(String(describing: error))", sourceLocation: sourceLocation)
    }

    let config = SyntheticModels.cnnConfig(plans: ExecutorTests.cnnPlans())
    let tensors = SyntheticModels.cnnTensors()

    @Test func loadsAValidFolder() throws {
        #expect(try load { try $0.write(config: config, tensors: tensors) } == nil)
    }

    @Test func missingConfig() throws {
        try expectError(file: "config.json", reason: "file not found") { _ in }
    }

    @Test func configThatIsNotJSON() throws {
        try expectError(file: "config.json", reason: "not valid JSON") { folder in
            try folder.write(config: config, tensors: tensors)
            try "{\"name\": ".write(toFile: folder.directory + "/config.json", atomically: true, encoding: .utf8)
        }
    }

    @Test func configMissingAField() throws {
        var broken = config.objectValue!
        broken["max_batch_size"] = nil
        try expectError(file: "config.json", reason: "missing 'max_batch_size'") { try $0.write(config: .object(broken), tensors: tensors) }
    }

    @Test func unknownOp() throws {
        var broken = config.objectValue!
        var network = broken["network"]!.objectValue!
        network["layers"] = [["op": "softmax"]]
        broken["network"] = .object(network)
        try expectError(file: "config.json", reason: "network.layers[0]: unknown op 'softmax'") { try $0.write(config: .object(broken), tensors: tensors) }
    }

    @Test func truncatedWeights() throws {
        try expectError(file: "1/model.safetensors", reason: "truncated") { folder in
            try folder.write(config: config, tensors: tensors)
            let path = folder.directory + "/1/model.safetensors"
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            try data.prefix(data.count - 100).write(to: URL(fileURLWithPath: path))
        }
    }

    @Test func weightsFileThatIsNotSafetensors() throws {
        try expectError(file: "1/model.safetensors", reason: "header length") { folder in
            try folder.write(config: config, tensors: tensors)
            try Data(repeating: 0xFF, count: 64).write(to: URL(fileURLWithPath: folder.directory + "/1/model.safetensors"))
        }
    }

    /// A shape whose element count fits in an Int but whose byte count does not (2^61 F32
    /// elements) is refused rather than trapping in the multiplication (the safetensors fuzz
    /// target's Tests/Fuzz/corpus/safetensors/regression-byte-count-overflow).
    @Test func aShapeWhoseByteCountOverflowsIsAnError() throws {
        let header = Array(#"{"t":{"dtype":"F32","shape":[2305843009213693952],"data_offsets":[0,0]}}"#.utf8)
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) } + header
        #expect(throws: ModelLoadError(file: "w", reason: "tensor 't' has shape [2305843009213693952] (F32) but 0 bytes of data")) {
            try SafeTensors(bytes: bytes, path: "w")
        }
    }

    @Test func missingWeightsFile() throws {
        try expectError(file: "1/model.safetensors", reason: "file not found") { folder in
            try folder.write(config: config, tensors: tensors)
            try FileManager.default.removeItem(atPath: folder.directory + "/1/model.safetensors")
        }
    }

    @Test func weightOfTheWrongShape() throws {
        var changed = tensors
        changed[2] = ("c2.weight", [6, 5, 3, 3], [Float](repeating: 0, count: 270))
        try expectError(file: "1/model.safetensors", reason: "'c2.weight' should be [out, 8, kh, kw], found [6, 5, 3, 3]") {
            try $0.write(config: config, tensors: changed)
        }
    }

    @Test func missingBias() throws {
        try expectError(file: "1/model.safetensors", reason: "'c3.bias' is missing") {
            try $0.write(config: config, tensors: tensors.filter { $0.0 != "c3.bias" })
        }
    }

    @Test func labelsThatDoNotMatchTheClasses() throws {
        try expectError(file: "labels.txt", reason: "has 9 labels but the output has 10 classes") {
            try $0.write(config: config, tensors: tensors, labels: 9)
        }
    }

    @Test func planNamingAnUnknownLayer() throws {
        let bad = SyntheticModels.cnnConfig(plans: [["name": "p", "filters": ["classes": 2, "layers": ["c9": ["per_class": 1, "cap": 1]]]]])
        try expectError(file: "config.json", reason: "plans[1] ('p'): no trunk node named 'c9'") { try $0.write(config: bad, tensors: tensors) }
    }

    @Test func filtersWithoutAnImportanceTable() throws {
        let bad = SyntheticModels.cnnConfig(plans: [["name": "p", "filters": ["classes": 2, "layers": ["c3": ["per_class": 1, "cap": 1]]]]])
        try expectError(file: "config.json", reason: "need the tensor 'importance.c3'") {
            try $0.write(config: bad, tensors: tensors.filter { $0.0 != "importance.c3" })
        }
    }

    @Test func widthBeyondTheLayer() throws {
        let bad = SyntheticModels.mlpConfig(plans: [["name": "wide", "width": ["fc1": ["keep": 99]]]])
        try expectError(file: "config.json", reason: "keep 99 exceeds the 16 outputs of 'fc1'") {
            try $0.write(config: bad, tensors: SyntheticModels.mlpTensors())
        }
    }

    @Test func narrowingTheOutputLayer() throws {
        let bad = SyntheticModels.mlpConfig(plans: [["name": "p", "width": ["fc3": ["keep": 5]]]])
        try expectError(file: "config.json", reason: "must feed exactly one gemm (linear) node") {
            try $0.write(config: bad, tensors: SyntheticModels.mlpTensors())
        }
    }

    @Test func firstPlanMustBeDense() throws {
        var bad = SyntheticModels.mlpConfig(plans: []).objectValue!
        bad["plans"] = [["name": "p", "width": ["fc1": ["keep": 4]]]]
        try expectError(file: "config.json", reason: "the first plan must be dense") {
            try $0.write(config: .object(bad), tensors: SyntheticModels.mlpTensors())
        }
    }
}
