import Foundation
import ZenithCore
import ZenithExecutor
import ZenithJSON

/// A whole model folder's two files through the loader: `config.json` and `model.safetensors`
/// together, so that mutations reach how the graph builder reads weight shapes (which the
/// model-config target, with fixed real weights, cannot).
///
/// Input: the config's length as 4 bytes little-endian, the config, then the safetensors file.
/// With `ZENITH_FUZZ_VERBOSE=1` it prints why an input was refused, for looking into a finding.
struct ModelTarget: FuzzTarget {
    static let name = "model"

    let verbose = ProcessInfo.processInfo.environment["ZENITH_FUZZ_VERBOSE"] == "1"

    init() {}

    func run(_ input: [UInt8]) {
        guard input.count >= 4 else { return }
        let length = input[0..<4].reversed().reduce(0) { $0 << 8 | Int($1) }
        guard length <= input.count - 4 else { return }
        do {
            let json = try JSONValue(parsing: input[4..<(4 + length)])
            let config = try ModelConfig(json: json, file: "config.json")
            let weights = try SafeTensors(bytes: Array(input[(4 + length)...]), path: "model.safetensors")
            let model = try Model(config: config, labels: [], weights: weights, directory: "model")
            if verbose { print("loaded \(model.name) with plans \(model.planNames)") }
        } catch {
            if verbose { print("refused: \(error)") }
        }
    }
}
