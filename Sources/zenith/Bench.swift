import ArgumentParser
import Foundation
import ZenithServer

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Dense executor against ONNX Runtime: same weights, same inputs, one thread each, interleaved rounds.")

    @OptionGroup var options: ModelOptions

    @Option(help: "Batch size.")
    var batch = 1

    @Option(help: "Alternating timing rounds.")
    var rounds = 15

    @Option(help: "Python with onnxruntime installed (default: .venv/bin/python in \(Zenith.homeHelp)).")
    var python: String?

    @Option(help: "The ONNX Runtime helper script (default: LoadTests/peer/ort_peer.py in \(Zenith.homeHelp)).")
    var helper: String?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
    }

    func run() throws {
        let model = try options.loadModel()
        guard batch <= model.config.maxBatchSize else {
            throw ValidationError("--batch \(batch) exceeds max_batch_size \(model.config.maxBatchSize) of \(model.name)")
        }
        let data = try EvaluationData.load(for: model, data: options.data, directory: options.dataset)
        let peer = PeerBenchmark(
            model: model, python: python ?? Zenith.home.path(".venv/bin/python"),
            helper: helper ?? Zenith.home.path("LoadTests/peer/ort_peer.py"))
        let result = try peer.run(images: data.test, batch: batch, rounds: rounds)
        if json {
            var report = result.json
            if case .object(var object) = report {
                object["model"] = .string(model.name)
                report = .object(object)
            }
            print(report.serialized())
        } else {
            print("\(model.name) batch \(batch): zenith \(fmt(result.zenithMicroseconds, 1)) us, onnxruntime \(fmt(result.onnxRuntimeMicroseconds, 1)) us, ratio \(fmt(result.ratio, 3)) (max |diff| \(result.maxAbsoluteDifference))")
        }
    }
}
