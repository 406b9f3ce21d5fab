import ArgumentParser
import Foundation
import ZenithServer

struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: """
            Measure each plan: validation accuracy (written into the model's folder, which it travels \
            with) and latency per batch size (written to Profiles/<model>/, this machine's cache).
            """)

    @OptionGroup var options: ModelOptions

    @Option(help: "Where this machine's latency profiles are written (default: Profiles in \(Zenith.homeHelp)).")
    var profiles: String?

    @Flag(help: "Measure latency only (the model's accuracy.json stays as it is).")
    var latencyOnly = false

    func run() throws {
        let model = try options.loadModel()
        let data = try EvaluationData.load(for: model, data: options.data, directory: options.dataset)
        let folder = "\(profiles ?? Zenith.home.path("Profiles"))/\(model.name)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if !latencyOnly {
            let accuracy = try Profiler.accuracyProfile(model: model, validation: data.validation)
            let file = "\(model.directory)/\(model.config.version)/accuracy.json"
            try (accuracy.serialized(pretty: true) + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            print("wrote \(file)")
        }
        let latency = try Profiler.latencyProfile(model: model, validation: data.validation, progress: Progress.line)
        try (latency.serialized(pretty: true) + "\n").write(toFile: folder + "/latency.json", atomically: true, encoding: .utf8)
        print("wrote \(folder)/latency.json")
    }
}
