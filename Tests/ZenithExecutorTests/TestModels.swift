import Foundation
import ZenithJSON

/// Writes small model folders for tests: a safetensors file, a config and labels.
struct TestModelFolder {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "zenith-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/1", withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    func write(config: JSONValue, tensors: [(String, [Int], [Float])], labels: Int = 10) throws {
        try config.serialized(pretty: true).write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        try (0..<labels).map { "class\($0)" }.joined(separator: "\n").write(toFile: directory + "/labels.txt", atomically: true, encoding: .utf8)
        try Data(Self.safetensors(tensors)).write(to: URL(fileURLWithPath: directory + "/1/model.safetensors"))
    }

    static func safetensors(_ tensors: [(String, [Int], [Float])]) -> [UInt8] {
        var header = JSONObject()
        var data: [UInt8] = []
        for (name, shape, values) in tensors {
            let start = data.count
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            header[name] = ["dtype": "F32", "shape": JSONValue(shape), "data_offsets": JSONValue([start, data.count])]
        }
        var text = Array(JSONValue.object(header).serialized().utf8)
        while text.count % 8 != 0 { text.append(0x20) }
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(text.count).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + text + data
    }
}

/// Deterministic pseudo-random numbers for test weights (SplitMix64).
struct SeededRandom {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-scale, scale).
    mutating func floats(_ count: Int, scale: Float) -> [Float] {
        (0..<count).map { _ in (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
    }
}

/// A small CNN with a branch, and a small MLP, in the formats of Models/FORMAT.md.
enum SyntheticModels {
    static let classes = 10

    static func cnnConfig(plans: [JSONValue]) -> JSONValue {
        [
            "name": "tiny-cnn", "max_batch_size": 8, "labels": "labels.txt",
            "inputs": [["name": "input", "datatype": "FP32", "dims": [1, 10, 10]]],
            "outputs": [["name": "logits", "datatype": "FP32", "dims": [10]]],
            "network": [
                "layers": [
                    ["op": "conv2d", "name": "c1", "stride": 1, "padding": 1, "relu": true],
                    ["op": "maxpool2d", "kernel": 2, "stride": 2],
                    ["op": "conv2d", "name": "c2", "stride": 1, "padding": 1, "relu": true],
                    ["op": "conv2d", "name": "c3", "stride": 2, "padding": 1, "relu": true],
                    ["op": "global_avgpool"],
                    ["op": "linear", "name": "fc", "relu": false],
                ],
                "branch": ["after": "c1", "layers": [
                    ["op": "maxpool2d", "kernel": 2, "stride": 2],
                    ["op": "flatten"],
                    ["op": "linear", "name": "b1", "relu": false],
                ]],
            ],
            "plans": .array([["name": "dense"]] + plans),
        ]
    }

    static func cnnTensors(seed: UInt64 = 1) -> [(String, [Int], [Float])] {
        var random = SeededRandom(state: seed)
        func table(_ units: Int) -> [Float] {
            var rows: [Float] = []
            for _ in 0..<classes {
                let row = random.floats(units, scale: 1).map { abs($0) + 0.01 }
                let sum = row.reduce(0, +)
                rows += row.map { $0 / sum }
            }
            return rows
        }
        return [
            // c2 has 8 inputs on a 5x5 plane: Winograd with partial tiles; c3 has stride 2: im2col.
            ("c1.weight", [8, 1, 3, 3], random.floats(72, scale: 0.5)), ("c1.bias", [8], random.floats(8, scale: 0.1)),
            ("c2.weight", [6, 8, 3, 3], random.floats(432, scale: 0.3)), ("c2.bias", [6], random.floats(6, scale: 0.1)),
            ("c3.weight", [8, 6, 3, 3], random.floats(432, scale: 0.3)), ("c3.bias", [8], random.floats(8, scale: 0.1)),
            ("fc.weight", [10, 8], random.floats(80, scale: 0.5)), ("fc.bias", [10], random.floats(10, scale: 0.1)),
            ("b1.weight", [10, 200], random.floats(2000, scale: 0.3)), ("b1.bias", [10], random.floats(10, scale: 0.1)),
            ("importance.c2", [10, 6], table(6)), ("importance.c3", [10, 8], table(8)),
        ]
    }

    static func mlpConfig(plans: [JSONValue]) -> JSONValue {
        [
            "name": "tiny-mlp", "max_batch_size": 8, "labels": "labels.txt",
            "inputs": [["name": "input", "datatype": "FP32", "dims": [12]]],
            "outputs": [["name": "logits", "datatype": "FP32", "dims": [10]]],
            "network": ["layers": [
                ["op": "linear", "name": "fc1", "relu": true],
                ["op": "linear", "name": "fc2", "relu": true],
                ["op": "linear", "name": "fc3", "relu": false],
            ]],
            "plans": .array([["name": "dense"]] + plans),
        ]
    }

    static func mlpTensors(seed: UInt64 = 2) -> [(String, [Int], [Float])] {
        var random = SeededRandom(state: seed)
        return [
            ("fc1.weight", [16, 12], random.floats(192, scale: 0.5)), ("fc1.bias", [16], random.floats(16, scale: 0.2)),
            ("fc2.weight", [16, 16], random.floats(256, scale: 0.4)), ("fc2.bias", [16], random.floats(16, scale: 0.2)),
            ("fc3.weight", [10, 16], random.floats(160, scale: 0.4)), ("fc3.bias", [10], random.floats(10, scale: 0.1)),
        ]
    }
}
