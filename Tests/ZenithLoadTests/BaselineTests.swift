import Testing
import ZenithJSON
import ZenithLoad

/// The baselines Zenith is compared against (`--compare slo,dense,dense-timeout,static:PLAN`) and
/// the report's verdict on them.
@Suite struct BaselineTests {
    @Test func modesParseAndMapToServerFlags() throws {
        #expect(try ServingMode(parsing: "slo").serverArguments(model: "m") == [])
        #expect(try ServingMode(parsing: "dense").serverArguments(model: "m") == ["--dense-only"])
        let timeout = try ServingMode(parsing: "dense-timeout")
        #expect(timeout.serverArguments(model: "m") == ["--dense-only"] && timeout.sendsTimeout)
        let fixed = try ServingMode(parsing: "static:exit1-only")
        #expect(fixed.serverArguments(model: "fashion-cnn") == ["--static-plan", "fashion-cnn=exit1-only"])
        #expect(fixed.description == "static:exit1-only" && fixed.isBaseline && !fixed.sendsTimeout)
        #expect(throws: ScenarioError.self) { try ServingMode(parsing: "static:") }
        #expect(throws: ScenarioError.self) { try ServingMode(parsing: "static:dense") }
        #expect(throws: ScenarioError.self) { try ServingMode(parsing: "fast") }
        #expect(try ServingMode(parsing: "fast", external: true) == .external("fast"))
    }

    @Test func denseTimeoutRequestsCarryTheLatencyTargetAsTritonTimeout() throws {
        let classes = [SLOClass(name: "default", share: 1, latencyTargetMs: 12.5, accuracyTarget: 0.9, delivery: .modelDefault)]
        let pool = PayloadPool(
            images: tinyImages(2), size: 2, model: "m", inputShape: [4], classes: classes, encoding: .json,
            tritonTimeout: true)
        let body = try JSONValue(parsing: pool.requests[0][0].body)
        #expect(body["parameters"]?["timeout"]?.intValue == 12_500)
        let plain = PayloadPool(images: tinyImages(2), size: 2, model: "m", inputShape: [4], classes: classes, encoding: .json)
        #expect(try JSONValue(parsing: plain.requests[0][0].body)["parameters"]?["timeout"] == nil)
    }

    /// A run of `mode` with `met` of 10 requests within target (plan accuracy ok) and `correct`
    /// of the 10 answered images right.
    private func run(_ mode: String, met: Int, correct: Int) -> LoadReport.Entry {
        let samples = (0..<10).map { i in
            sample(index: i, latencyMs: i < met ? 1 : 50, predicted: [i < correct ? 3 : 4], labels: [3])
        }
        return .init(
            record: RunRecord(mode: mode, samples: samples, actions: [], durationSeconds: 1, offeredRate: 10),
            capacityMultiple: 1, server: mode)
    }

    private func report(_ entries: [LoadReport.Entry]) -> LoadReport {
        LoadReport(scenario: makeScenario(duration: 1), capacity: nil, options: RunOptions(), poolSize: 10, entries: entries)
    }

    @Test func zenithHoldsWhenNoBaselineIsBothAsPunctualAndAsAccurate() throws {
        let report = report([
            run("slo", met: 9, correct: 9), run("dense", met: 5, correct: 10), run("static:cheap", met: 10, correct: 7),
            run("static:mid", met: 9, correct: 8), run("dense-timeout", met: 6, correct: 10),
        ])
        let comparison = try #require(BaselineComparison.all(in: report).first)
        #expect(comparison.baselines.map(\.mode) == ["dense", "static:cheap", "static:mid", "dense-timeout"])
        #expect(comparison.dominatedBy.isEmpty)
        #expect(comparison.bestStaticAtLeastAsPunctual?.mode == "static:mid")
        #expect(comparison.holds)
        #expect(report.json()["baselines"]?.arrayValue?.first?["holds"]?.boolValue == true)
        #expect(report.markdown(plots: .success([])).contains("No baseline dominates"))
    }

    @Test func aStaticPlanAsPunctualAndMoreAccurateBreaksTheClaim() throws {
        let report = report([run("slo", met: 9, correct: 8), run("static:good", met: 9, correct: 9)])
        let comparison = try #require(BaselineComparison.all(in: report).first)
        #expect(comparison.dominatedBy.map(\.mode) == ["static:good"])
        #expect(!comparison.holds)
        let json = report.json()["baselines"]?.arrayValue?.first
        #expect(json?["holds"]?.boolValue == false)
        #expect(json?["dominated_by"]?.arrayValue?.first?.stringValue == "static:good")
        #expect(report.markdown(plots: .success([])).contains("**Dominated** by static:good"))
    }

    @Test func noSectionWithoutBaselines() {
        let report = report([run("slo", met: 9, correct: 9)])
        #expect(BaselineComparison.all(in: report).isEmpty)
        #expect(report.json()["baselines"] == nil)
    }
}
