import Foundation
import Testing
import ZenithExecutor
import ZenithJSON
import ZenithServer

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

    /// The executor's dense accuracy on the real test set is PyTorch's, within 0.1 point.
    @Test(arguments: ["fashion-mlp", "fashion-cnn"])
    func denseTestAccuracyMatchesPyTorch(model name: String) throws {
        let model = try Model(directory: Self.root.appendingPathComponent("Models/\(name)").path)
        let data = try EvaluationData.load(for: model)
        let results = try JSONValue(parsing: Array(Data(contentsOf: Self.root.appendingPathComponent("Models/training/results.json"))))
        let pytorch = try #require(results[name]?["plans"]?["dense"]?["test_acc"]?.doubleValue)
        let evaluation = try Evaluation.run(model: model, test: data.test, validation: data.validation, plans: ["dense"])
        #expect(evaluation.count == 1)
        #expect(abs(evaluation[0].testAccuracy - pytorch) <= 0.001, "Zenith \(evaluation[0].testAccuracy), PyTorch \(pytorch)")
        #expect(data.test.count == 10_000 && data.validation.count == 5_000)
    }
}
