import Foundation
import Testing
import ZenithExecutor
import ZenithJSON
@testable import ZenithServer
import ZenithData

@Suite struct EvaluationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func percentilesAreNearestRank() {
        let summary = LatencySummary(nanoseconds: (1...100).map { UInt64($0) * 1000 })
        #expect(summary.count == 100)
        #expect(summary.p50 == 50 && summary.p90 == 90 && summary.p99 == 99 && summary.max == 100)
        #expect(summary.mean == 50.5)
        #expect(LatencySummary(nanoseconds: [7000]).p99 == 7)
    }

    /// Every plan's validation accuracy through the executor is the Python reference's
    /// (`1/accuracy.json`, written by scripts/prepare.sh), within 0.2 point (10 of 5,000 images:
    /// float rounding may move a sample across an exit threshold or a top-k boundary).
    /// Both models were prepared from fashion_npz.py's default file, whose validation split is
    /// training images 55000..<60000.
    @Test(arguments: ["fashion-mlp", "fashion-cnn"])
    func validationAccuracyMatchesPython(model name: String) throws {
        let model = try Model(directory: Self.root.appendingPathComponent("Models/\(name)").path)
        let validation = try FashionMNIST.load(.train).subset(55_000..<60_000)
        let reference = try JSONValue(parsing: Array(Data(contentsOf: URL(fileURLWithPath: "\(model.directory)/1/accuracy.json"))))
        let plans = try #require(reference["plans"]?.arrayValue)
        #expect(reference["images"]?.intValue == validation.count)
        #expect(plans.count == model.planNames.count)
        let executor = Executor(model: model)
        for entry in plans {
            let plan = try #require(entry["name"]?.stringValue)
            let python = try #require(entry["accuracy"]?.doubleValue)
            let index = try #require(model.planIndex(named: plan))
            let run = try Evaluation.measure(executor, plan: index, images: validation, batch: model.config.maxBatchSize)
            #expect(abs(run.accuracy - python) <= 0.002, "\(name) \(plan): Zenith \(run.accuracy), Python \(python)")
        }
    }
}
