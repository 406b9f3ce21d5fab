import ArgumentParser
import Foundation
import ZenithServer

struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure each plan: validation accuracy and latency per batch size, written to Profiles/<model>/.")

    @OptionGroup var options: ModelOptions

    @Option(help: "Where profiles are written.")
    var profiles = "Profiles"

    func run() throws {
        let model = try options.loadModel()
        let data = try EvaluationData.load(for: model, directory: options.dataset)
        let folder = "\(profiles)/\(model.name)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let accuracy = try Profiler.accuracyProfile(model: model, validation: data.validation)
        try (accuracy.serialized(pretty: true) + "\n").write(toFile: folder + "/accuracy.json", atomically: true, encoding: .utf8)
        print("wrote \(folder)/accuracy.json")
        let latency = try Profiler.latencyProfile(model: model, validation: data.validation)
        try (latency.serialized(pretty: true) + "\n").write(toFile: folder + "/latency.json", atomically: true, encoding: .utf8)
        print("wrote \(folder)/latency.json")
    }
}
