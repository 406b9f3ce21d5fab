import ArgumentParser
import Foundation
import ZenithData
import ZenithLoad

/// `zenith-load run SCENARIO`: one scenario (or sweep) against one or both server modes.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario file open-loop; with --compare slo,dense,... against each mode with the same trace.")

    @Argument(help: "The scenario file (LoadTests/Scenarios/*.json).")
    var scenario: String

    @Option(
        help: ArgumentHelp(
            "Modes to run in order, comma-separated: slo, dense, dense-timeout, static:PLAN.",
            discussion: """
                slo is the SLO controller; the others are the baselines a user could run instead: \
                dense (--dense-only: the whole network, first come first served), dense-timeout \
                (the same, each request sending its latency target as Triton's timeout, so late \
                work is dropped), static:PLAN (--static-plan: one fixed cheaper plan, as a \
                statically pruned model). With --endpoint, one label for the given server.
                """))
    var compare = "slo"

    @Option(help: "The output folder (report.json, samples.csv, report.md, plots).")
    var out: String?

    @Option(help: "Dense capacity in requests per second, instead of measuring it.")
    var capacity: Double?

    @Option(help: "A file written by `zenith-load capacity --json`: its capacity and method are used.")
    var capacityFile: String?

    @Option(help: "Capacity probe: requests kept outstanding.")
    var capacityConcurrency = 256

    @Option(help: "Capacity probe: seconds counted (after 2 s of warm-up).")
    var capacitySeconds = 10.0

    @Option(help: "Override the scenario's duration (seconds) or, for a sweep, the seconds per point.")
    var duration: Double?

    @Option(help: "Override the scenario's seed.")
    var seed: UInt64?

    @Option(help: "Override the scenario's images_per_request (test images in each request's input batch).")
    var imagesPerRequest: Int?

    @Option(help: "Distinct test images in the payload pool (10 000: the whole test set, so served accuracy is comparable with test accuracy).")
    var pool = 10_000

    @Option(help: "The Fashion-MNIST folder (when neither the scenario nor --data names a data file).")
    var dataset = FashionMNIST.defaultDirectory

    @Option(help: "Labelled test data (.npz: x, y, optionally split) when the scenario names none.")
    var data: String?

    @Option(help: "The Python with matplotlib used for the plots.")
    var python = ".venv/bin/python"

    @OptionGroup var connection: ConnectionOptions

    var words: [String] { compare.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }

    func modes() throws -> [ServingMode] {
        let modes = try words.map { word in try ServingMode(parsing: word, external: connection.endpoint != nil) }
        guard Set(words).count == words.count else { throw ValidationError("--compare names a mode twice") }
        return modes
    }

    func validate() throws {
        guard !words.isEmpty else { throw ValidationError("--compare takes modes, e.g. --compare slo,dense") }
        do {
            _ = try modes()
        } catch let error as ScenarioError {
            throw ValidationError("--compare: \(error)")
        }
        if connection.endpoint != nil && words.count > 1 {
            throw ValidationError("--compare with several modes starts each server itself: drop --endpoint")
        }
        if let capacity, !(capacity > 0) { throw ValidationError("--capacity must be positive") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
        guard pool >= 1 else { throw ValidationError("--pool must be at least 1") }
        if let imagesPerRequest, imagesPerRequest < 1 { throw ValidationError("--images-per-request must be at least 1") }
        if capacity != nil && capacityFile != nil { throw ValidationError("give --capacity or --capacity-file, not both") }
    }

    /// The capacity given instead of measured: `--capacity` is taken to be for the scenario's
    /// request size; a `--capacity-file` must have been measured with it.
    private func givenCapacity(for scenario: Scenario) throws -> CapacityResult? {
        if let capacity { return .given(capacity, imagesPerRequest: scenario.imagesPerRequest) }
        guard let capacityFile else { return nil }
        return try .given(capacityFile: capacityFile, model: scenario.model, imagesPerRequest: scenario.imagesPerRequest)
    }

    func run() async throws {
        var scenario = try Scenario.load(path: self.scenario)
        if let duration {
            if scenario.sweep != nil { scenario.sweep!.pointSeconds = duration } else { scenario.durationSeconds = duration }
        }
        if let seed { scenario.seed = seed }
        if let imagesPerRequest { scenario.imagesPerRequest = imagesPerRequest }
        if connection.wireProtocol == .grpc { scenario.encoding = .grpc }
        let out = self.out ?? "LoadTests/reports/\(scenario.name)"
        let session = LoadSession(
            scenario: scenario, modes: try modes(), target: connection.target, options: try connection.runOptions(),
            givenCapacity: try givenCapacity(for: scenario),
            probe: CapacityProbe(concurrency: capacityConcurrency, durationSeconds: capacitySeconds),
            poolSize: pool, dataset: dataset, data: data, outputDirectory: out, clientThreads: connection.clientThreads,
            log: { line in FileHandle.standardError.write(Data("zenith-load: \(line)\n".utf8)) })
        let report = try await session.run()
        let plots = try ReportWriter(directory: out, python: python).write(report)
        if case .failure(let error) = plots { print("plots not drawn: \(error)") }
        print("wrote \(out)/report.md, report.json, samples.csv")
    }
}
