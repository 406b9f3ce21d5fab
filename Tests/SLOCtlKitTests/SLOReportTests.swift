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

    /// Two replicas: a row each and a total (rates and counts added, attainment and plan mix
    /// weighted by rate, the worst percentiles).
    @Test func replicaStatusTable() throws {
        let busier: JSONValue = [
            "window_seconds": 10,
            "models": [
                [
                    "model": "fashion-cnn", "mode": "controller", "requests_per_second": 187.6, "p50_ms": 2.0,
                    "p99_ms": 12.5, "attainment": 0.9, "plan_mix": ["dense": 0.62, "exit-filters-25": 0.38],
                    "queue_depth": 1, "inflight": 2, "rejects": ["slo_infeasible": 12, "queue_full": 0],
                ]
            ],
        ]
        let text = try SLOReport.replicaStatus([("http://a:1", FakeOperatorHandler.status), ("http://b:2", busier)])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "window: last 10 s, 2 replicas")
        let total = try #require(lines.first { $0.hasPrefix("total") && $0.contains("fashion-cnn") })
        #expect(total.contains("1000.0"))       // 812.4 + 187.6
        #expect(total.contains("12.50"))        // the worse p99
        #expect(total.contains("97.7%"))        // (0.995 * 812.4 + 0.9 * 187.6) / 1000
        #expect(total.contains("slo_infeasible=24"))
        #expect(total.contains("dense 62% exit-filters-25 38%"))
        #expect(lines.filter { $0.contains("fashion-cnn") }.count == 3)
        #expect(lines.filter { $0.contains("fashion-mlp") }.count == 2, "one replica serves it: its row and the total")
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
