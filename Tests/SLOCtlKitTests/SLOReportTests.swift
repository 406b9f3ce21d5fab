import SLOCtlKit
import Testing
import ZenithJSON

/// The tables people read.
@Suite struct SLOReportTests {
    @Test func statusTable() throws {
        let text = try SLOReport.status(FakeOperatorHandler.status)
        #expect(
            text == """
                window: last 10 s
                MODEL        MODE        REQ/S  P50 MS  P99 MS  ATTAINMENT  QUEUE  INFLIGHT  WORKER CORES  REJECTS            PLAN MIX
                fashion-cnn  controller  812.4    2.10    8.70       99.5%      3         5          0.62  slo_infeasible=12  dense 62% exit-filters-25 38%
                fashion-mlp  dense_only    0.0       -       -           -      0         0             -  0                  -

                """)
    }

    @Test func modelsAndTargetsTables() throws {
        let list: JSONValue = [
            "models": .array(
                FakeOperatorHandler.sampleModels.map(FakeOperatorHandler.modelSLO))
        ]
        #expect(
            try SLOReport.models(list) == """
                MODEL        MODE        LATENCY MS  ACCURACY  POLICY       BEST ACC  CLASSES
                fashion-cnn  controller          10     0.916  reject          0.929  gold
                fashion-mlp  dense_only           4      0.85  best_effort     0.887  -

                """)
        #expect(
            try SLOReport.targets(list: list) == """
                MODEL        CLASS    LATENCY MS  ACCURACY  POLICY       BEST ACC  ATTAINMENT
                fashion-cnn  default          10     0.916  reject          0.929       99.5%
                fashion-cnn  gold              5      0.92
                fashion-mlp  default           4      0.85  best_effort     0.887           -

                """)
    }

    @Test func documentsOfTheWrongShapeAreBadResponses() {
        #expect(throws: OperatorError.badResponse("no \"models\" array")) { try SLOReport.status(["window_seconds": 10]) }
        #expect(throws: OperatorError.badResponse("a model without a \"model\" name")) {
            try SLOReport.targets([["mode": "controller"]])
        }
    }

    @Test func tablesPadColumnsAndTrimLines() {
        var table = TextTable([.init("A"), .init("NUMBER", rightAligned: true), .init("Z")])
        table.append(["long-name", "7"])
        table.append(["x", "12345", "end", "dropped"])
        #expect(table.render() == "A          NUMBER  Z\nlong-name       7\nx           12345  end\n")
    }
}
