import Foundation
import ZenithCore
import ZenithExecutor
import ZenithJSON

/// A model's `config.json` through the loader: JSON, `ModelConfig`, then the graph built against
/// real weights and every plan compiled, as `Model(directory:)` does after reading the files.
///
/// The weights are those of the committed model the config names (`Models/<name>/`), else those
/// of fashion-cnn; only the small models are loaded, so that an input takes milliseconds. Run
/// from the repository root, or set `ZENITH_FUZZ_MODELS` to the Models folder.
struct ModelConfigTarget: FuzzTarget {
    static let name = "model-config"
    static let models = ["fashion-cnn", "fashion-mlp"]
    static let fallback = "fashion-cnn"

    let weights: [String: SafeTensors]

    init() throws {
        let root = ProcessInfo.processInfo.environment["ZENITH_FUZZ_MODELS"] ?? "Models"
        var weights: [String: SafeTensors] = [:]
        for model in Self.models {
            weights[model] = try SafeTensors(contentsOf: "\(root)/\(model)/1/model.safetensors")
        }
        self.weights = weights
    }

    func run(_ input: [UInt8]) {
        guard let json = try? JSONValue(parsing: input[...]),
            let config = try? ModelConfig(json: json, file: "config.json")
        else { return }
        let weights = self.weights[config.name] ?? self.weights[Self.fallback]!
        _ = try? Model(config: config, labels: [], weights: weights, directory: "Models/\(config.name)")
    }
}
