import Foundation
import Testing
@testable import ZenithExecutor

/// The committed models against PyTorch's own outputs (`1/golden.safetensors`), every plan;
/// and the synthetic fixtures (`Fixtures/make_fixtures.py`: every op and plan kind on tiny
/// random graphs) against the same Python reference.
@Suite struct GoldenTests {
    /// `Models/` of this checkout: three levels up from this file.
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Models").path
    /// `Fixtures/` beside this file.
    static let fixtureDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path
    /// Every committed model folder: each must ship goldens for every plan.
    static let models = modelFolders(in: repository)
    /// Every fixture folder written by `Fixtures/make_fixtures.py`.
    static let fixtures = modelFolders(in: fixtureDirectory)

    static func modelFolders(in directory: String) -> [String] {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return folders.filter { FileManager.default.fileExists(atPath: "\(directory)/\($0)/config.json") }.sorted()
    }

    struct Golden {
        var input: [Float]
        var labels: [Int]
        var file: SafeTensors
        var count: Int { labels.count }
    }

    func golden(_ model: Model) throws -> Golden {
        let file = try SafeTensors(contentsOf: "\(model.directory)/\(model.config.version)/golden.safetensors")
        return Golden(input: try file.floats("input"), labels: try file.integers("label"), file: file)
    }

    /// Runs `plan` over the golden inputs in full batches, collecting outputs, exits and,
    /// for filter plans, the filters each sample ran per layer.
    func run(_ executor: Executor, plan: Int, golden: Golden) throws -> (output: [Float], exited: [Int], filters: [Int: [[Int]?]]) {
        let model = executor.model
        let size = model.inputElementCount
        var outputs: [Float] = []
        var exited: [Int] = []
        var filters: [Int: [[Int]?]] = [:]
        // The executor keeps only the last group's chosen filters, so filter plans run one
        // sample at a time here.
        let step = model.plans[plan].filterLayers.isEmpty ? executor.maxBatch : 1
        var start = 0
        while start < golden.count {
            let batch = min(step, golden.count - start)
            var output: [Float] = []
            let report = try executor.run(plan: plan, input: Array(golden.input[(start * size)..<((start + batch) * size)]), batch: batch, output: &output)
            outputs += output
            exited += report.exitBranch
            for b in 0..<batch {
                let subsets = executor.chosenFilters[b] ?? [:]
                for layer in model.plans[plan].filterLayers.keys { filters[layer, default: []].append(subsets[layer]) }
            }
            start += batch
        }
        return (outputs, exited, filters)
    }

    @Test(arguments: models) func denseMatchesPyTorch(name: String) throws {
        try checkDense(directory: "\(Self.repository)/\(name)")
    }

    @Test(arguments: models) func everyPlanMatchesPyTorch(name: String) throws {
        let model = try Model(directory: "\(Self.repository)/\(name)")
        #expect(model.plans.count >= 2, "a model offers an operating point besides dense")
        try checkEveryPlan(model)
    }

    @Test func fixturesArePresent() {
        #expect(Self.fixtures.count >= 3, "run Fixtures/make_fixtures.py with .venv-train")
    }

    @Test(arguments: fixtures) func fixtureDenseMatchesReference(name: String) throws {
        try checkDense(directory: "\(Self.fixtureDirectory)/\(name)")
    }

    @Test(arguments: fixtures) func fixtureEveryPlanMatchesReference(name: String) throws {
        try checkEveryPlan(try Model(directory: "\(Self.fixtureDirectory)/\(name)"))
    }

    func checkDense(directory: String) throws {
        let model = try Model(directory: directory)
        let golden = try golden(model)
        let reference = try golden.file.floats("output.dense")
        let (output, _, _) = try run(Executor(model: model), plan: 0, golden: golden)
        let classes = model.classCount
        for s in 0..<golden.count {
            let expected = reference[(s * classes)..<((s + 1) * classes)]
            let scale = max(1, expected.map(abs).max() ?? 1)
            let error = zip(output[(s * classes)..<((s + 1) * classes)], expected).map { abs($0 - $1) }.max() ?? 0
            #expect(error <= 1e-4 * scale, "sample \(s): max error \(error) against logits of scale \(scale)")
        }
    }

    func checkEveryPlan(_ model: Model) throws {
        let golden = try golden(model)
        let executor = Executor(model: model)
        let classes = model.classCount
        for (index, plan) in model.plans.enumerated() {
            let name = plan.spec.name
            let reference = try golden.file.floats("output.\(name)")
            let (output, exited, filters) = try run(executor, plan: index, golden: golden)
            // Exit and filter decisions compare a float against a threshold; PyTorch and BLAS may
            // round a near-tie differently, so a sample whose decision differs is counted, not compared.
            var sameDecision = [Bool](repeating: true, count: golden.count)
            var differences: [String] = []
            if !plan.spec.exits.isEmpty {
                let expected = try golden.file.integers("exited.\(name)")
                for s in 0..<golden.count where expected[s] != exited[s] {
                    sameDecision[s] = false
                    differences.append("sample \(s) exited \(exited[s]), expected \(expected[s])")
                }
            }
            for (layer, subsets) in filters {
                guard case .conv(let conv) = model.graph.nodes[layer].operation else { continue }
                let masks = try golden.file.integers("filters.\(name).\(conv.name)")
                for s in 0..<golden.count where sameDecision[s] {
                    let expected = (0..<conv.outChannels).filter { masks[s * conv.outChannels + $0] != 0 }
                    if (subsets[s] ?? []) != expected {
                        sameDecision[s] = false
                        differences.append("sample \(s) \(conv.name) filters \(subsets[s] ?? []), expected \(expected)")
                    }
                }
            }
            let disagreements = sameDecision.filter { !$0 }.count
            #expect(disagreements <= golden.count / 100, "plan \(name): \(disagreements) samples decided differently from PyTorch: \(differences.prefix(4).joined(separator: "; "))")
            for s in 0..<golden.count where sameDecision[s] {
                let expected = reference[(s * classes)..<((s + 1) * classes)]
                let scale = max(1, expected.map(abs).max() ?? 1)
                let error = zip(output[(s * classes)..<((s + 1) * classes)], expected).map { abs($0 - $1) }.max() ?? 0
                #expect(error <= 1e-4 * scale, "plan \(name) sample \(s): max error \(error)")
            }
        }
    }
}
