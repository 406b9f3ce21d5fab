import Testing
import ZenithJSON

@testable import ZenithLoad

/// Co-located CPU load during a run: parsed from the scenario, run as `zenith-load burn`, reported per phase.
@Suite struct InterferenceTests {
    @Test func parsesAndChecksIntervals() throws {
        let classes = #""classes": [{"latency_target_ms": 10, "accuracy_target": 0.9}]"#
        let scenario = try Scenario(
            json: JSONValue(
                parsing: #"{"model": "m", "duration_s": 60, "rate": {"rps": 10}, \#(classes), "interference": [{"from_s": 40, "until_s": 50}, {"from_s": 20, "until_s": 30, "workers": 2}]}"#))
        #expect(scenario.interference == [Interference(fromSeconds: 20, untilSeconds: 30, workers: 2), Interference(fromSeconds: 40, untilSeconds: 50)])
        for (bad, message) in [
            (#"[{"from_s": 70, "until_s": 80}]"#, "interference[0].from_s must be a number of seconds within the run"),
            (#"[{"from_s": 20, "until_s": 10}]"#, "interference[0].until_s must be a number of seconds after from_s"),
            (#"[{"from_s": 20, "until_s": 30, "workers": 0.5}]"#, "interference[0].workers must be an integer from 1 to 64"),
            (#"[{"from_s": 20, "until_s": 30, "cpu": 1}]"#, "interference[0]"),
        ] {
            #expect {
                try Scenario(
                    json: JSONValue(parsing: #"{"model": "m", "duration_s": 60, "rate": {"rps": 10}, \#(classes), "interference": \#(bad)}"#))
            } throws: { error in
                "\(error)".hasPrefix(message)
            }
        }
    }

    @Test func runsBurnersPinnedToTheGivenCPUs() {
        let interval = Interference(fromSeconds: 20, untilSeconds: 40)
        #expect(
            InterferenceRunner(burner: "/bin/zenith-load", cpus: "1").arguments(interval)
                == ["taskset", "-c", "1", "/bin/zenith-load", "burn", "--seconds", "21"])
        #expect(InterferenceRunner(burner: "/bin/zenith-load", cpus: nil).arguments(interval).first == "/bin/zenith-load")
    }

    @Test func theReportShowsEachPhase() {
        // One request a second for 6 s; the neighbour runs from 2 s to 4 s, when the server
        // answers late with a cheaper plan; after it, one request is refused and the harness
        // sends one 5 ms behind its schedule.
        let samples = (0..<6).map { second in
            sample(
                index: second, atSeconds: Double(second),
                latencyMs: (2..<4).contains(second) ? 20 : second == 4 ? 6 : 1,
                status: second == 5 ? 429 : 200, plan: (2..<4).contains(second) ? "cheap" : "dense",
                reason: second == 5 ? "slo_infeasible" : nil, lateMs: second == 4 ? 5 : 0)
        }
        var scenario = makeScenario(duration: 6)
        scenario.interference = [Interference(fromSeconds: 2, untilSeconds: 4)]
        let report = LoadReport(
            scenario: scenario, capacity: nil, options: RunOptions(interferenceCPUs: "1"), poolSize: 6,
            entries: [
                .init(
                    record: RunRecord(mode: "slo", samples: samples, actions: [], durationSeconds: 6, offeredRate: 1),
                    capacityMultiple: nil, server: "zenith serve")
            ])
        let markdown = report.markdown(plots: .success([]))
        #expect(markdown.contains("pinned to CPU 1"))
        #expect(markdown.contains("| slo | before | 2 | 100.0% | 0.0% | 0.0% |"))
        #expect(markdown.contains("| slo | **with 1 busy neighbour** | 2 | 0.0% | 0.0% | 0.0% | 100.0% | cheap 100.0% |"))
        #expect(markdown.contains("| slo | after | 2 | 50.0% | 50.0% | 50.0% | 100.0% | dense 100.0% |"))
    }
}
