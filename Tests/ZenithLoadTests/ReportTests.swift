import Testing
import ZenithHTTP
import ZenithJSON
import ZenithLoad

@Suite struct ReportTests {
    private func report() -> LoadReport {
        let dense = RunRecord(
            mode: "dense",
            samples: [sample(index: 0, latencyMs: 4), sample(index: 1, atSeconds: 1.2, latencyMs: 40)],
            actions: [], durationSeconds: 2, offeredRate: 1)
        let slo = RunRecord(
            mode: "slo",
            samples: [
                sample(index: 0, latencyMs: 2, plan: "exit-025", expectedAccuracy: 0.9336),
                sample(index: 1, atSeconds: 1.2, latencyMs: 1, status: 429, reason: "slo_infeasible"),
            ],
            actions: [ActionRecord(atSeconds: 1, doneSeconds: 1.01, body: #"{"accuracy_target":0.9}"#, status: 200, message: "{}")],
            durationSeconds: 2, offeredRate: 1)
        return LoadReport(
            scenario: makeScenario(rate: .capacityMultiple(2), duration: 2),
            capacity: CapacityResult(
                requestsPerSecond: 0.5, answered: 5, failed: 0, concurrency: 4, connections: 2, durationSeconds: 10,
                warmupSeconds: 2),
            options: RunOptions(connections: 2), poolSize: 10,
            entries: [
                .init(record: dense, capacityMultiple: 2, server: "zenith serve --dense-only"),
                .init(record: slo, capacityMultiple: 2, server: "zenith serve"),
            ])
    }

    @Test func jsonHasTheFieldsThePlotsAndReadersUse() throws {
        let json = report().json()
        #expect(json["capacity"]?["requests_per_second"]?.doubleValue == 0.5)
        #expect(json["capacity"]?["method"]?.stringValue?.contains("closed loop") == true)
        #expect(json["scenario"]?["rate"]?["capacity_multiple"]?.doubleValue == 2)
        #expect(json["scenario"]?["classes"]?.arrayValue?.count == 1)
        let runs = try #require(json["runs"]?.arrayValue)
        #expect(runs.map { $0["mode"]?.stringValue } == ["dense", "slo"])
        for run in runs {
            for key in [
                "sent", "answered", "offered_rps", "throughput_rps", "latency_ms", "attainment", "served_accuracy",
                "images_per_request", "sent_images", "answered_images", "correct_images", "offered_images_per_s",
                "throughput_images_per_s",
                "goodput_accuracy", "rejects", "plan_mix", "exit_share", "send_lateness_ms", "late_share", "classes",
                "timeline", "actions", "capacity_multiple",
            ] {
                #expect(run[key] != nil, "runs[].\(key) is missing")
            }
            for key in ["p50", "p90", "p99", "p99_9", "max"] { #expect(run["latency_ms"]?[key] != nil) }
        }
        #expect(runs[0]["attainment"]?.doubleValue == 0.5)
        #expect(runs[1]["rejects"]?["slo_infeasible"]?.intValue == 1)
        #expect(runs[1]["plan_mix"]?["exit-025"]?.doubleValue == 1)
        #expect(runs[1]["actions"]?.arrayValue?.first?["ok"]?.boolValue == true)
        #expect(runs[0]["timeline"]?.arrayValue?.count == 2)
        let comparison = try #require(json["comparison"]?.arrayValue?.first)
        #expect(comparison["attainment_dense"]?.doubleValue == 0.5)
        #expect(comparison["attainment_slo"]?.doubleValue == 0.5)
        // It survives a round trip through json-c.
        #expect(try JSONValue(parsing: json.serialized()) == json)
    }

    @Test func csvHasOneLinePerRequest() {
        let lines = report().samplesCSV().split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[0] == Substring(LoadReport.csvHeader))
        #expect(lines[4].hasPrefix("slo,2.000,1,default,1.200000,"))
        #expect(lines[4].hasSuffix(",slo_infeasible,,,"), "a refusal has no server timings")
    }

    @Test func csvCarriesTheServersTimingsOfAnAnswer() {
        var answered = sample(index: 0)
        (answered.outcome.serverQueueMicros, answered.outcome.serverComputeMicros, answered.outcome.serverTotalMicros) =
            (120, 80, 260)
        let record = RunRecord(mode: "slo", samples: [answered], actions: [], durationSeconds: 1, offeredRate: 1)
        let report = LoadReport(
            scenario: makeScenario(rate: .absolute(1), duration: 1), capacity: .given(1, imagesPerRequest: 1),
            options: RunOptions(connections: 1), poolSize: 1,
            entries: [.init(record: record, capacityMultiple: nil, server: "zenith serve")])
        let lines = report.samplesCSV().split(separator: "\n")
        #expect(lines[0].hasSuffix(",server_queue_ms,server_compute_ms,server_total_ms"))
        #expect(lines[1].hasSuffix(",0.120,0.080,0.260"))
    }

    @Test func requestsOfSeveralImagesReportImagesBesideRequests() throws {
        var scenario = makeScenario(rate: .absolute(2), duration: 2)
        scenario.imagesPerRequest = 4
        let record = RunRecord(
            mode: "slo",
            samples: [
                sample(index: 0, predicted: [1, 2, 3, 4], labels: [1, 2, 3, 0]),
                sample(index: 1, atSeconds: 0.5, status: 503, labels: [5, 6, 7, 8], reason: "queue_full"),
            ],
            actions: [], durationSeconds: 2, offeredRate: 1)
        let report = LoadReport(
            scenario: scenario, capacity: .given(1, imagesPerRequest: 4), options: RunOptions(connections: 1), poolSize: 8,
            entries: [.init(record: record, capacityMultiple: nil, server: "zenith serve")])
        let json = report.json()
        #expect(json["scenario"]?["images_per_request"]?.intValue == 4)
        #expect(json["harness"]?["images_per_request"]?.intValue == 4)
        #expect(json["capacity"]?["images_per_request"]?.intValue == 4)
        let run = try #require(json["runs"]?.arrayValue?.first)
        #expect(run["sent_images"]?.intValue == 8)
        #expect(run["answered_images"]?.intValue == 4)
        #expect(run["correct_images"]?.intValue == 3)
        #expect(run["served_accuracy"]?.doubleValue == 0.75)
        #expect(run["goodput_accuracy"]?.doubleValue == 0.375)
        #expect(run["throughput_images_per_s"]?.doubleValue == 2)
        let markdown = report.markdown(plots: .success([]))
        #expect(markdown.contains("| answered images/s | 2 |"))
        #expect(markdown.contains("| images per request | 4 |"))
        #expect(markdown.contains("payloads of 4 images"))
        let lines = report.samplesCSV().split(separator: "\n")
        #expect(lines[1].contains(",4,1 2 3 0,1 2 3 4,3,"))
        #expect(lines[2].contains(",4,5 6 7 8,,,"))
    }

    @Test func markdownShowsBothModesSideBySide() {
        let text = report().markdown(plots: .failure(PlotError(".venv/bin/python does not exist")))
        #expect(text.contains("| | dense | slo | slo / dense |"))
        #expect(text.contains("**SLO attainment**"))
        #expect(text.contains("Dense capacity"))
        #expect(text.contains("Not drawn: .venv/bin/python does not exist"))
        #expect(text.contains("set-target") || text.contains("accuracy_target"))
        #expect(!text.contains("Hypervisor steal"), "no line where the runs measured none")
    }

    /// Each run's stolen share per CPU is in the JSON and, for CPUs that lost any, in the text.
    @Test func stealDuringTheRunsIsReported() throws {
        var report = report()
        report.entries[0].record.stealShares = [0: 0.214, 1: 0.0004]
        report.entries[1].record.stealShares = [0: 0, 1: 0]
        let text = report.markdown(plots: .failure(PlotError("no plots")))
        #expect(text.contains("dense at 2.00×: cpu0 21.4%; slo at 2.00×: none."), "\(text)")
        let runs = try #require(report.json()["runs"]?.arrayValue)
        #expect(runs[0]["steal_share_by_cpu"]?["0"]?.doubleValue == 0.214)
        #expect(runs[1]["steal_share_by_cpu"]?["1"]?.doubleValue == 0)
    }
}

@Suite struct CPUTimesTests {
    /// Steal is the eighth counter of a `cpuN` line; the share is of all eight counters' growth.
    @Test func stealShareIsStealOverAllTicks() {
        let before = CPUTimes(parsing: """
            cpu  300 0 30 300 0 0 0 20 0 0
            cpu0 100 0 10 100 0 0 0 10 0 0
            cpu1 200 0 20 200 0 0 0 10 0 0
            intr 12345
            """)
        let after = CPUTimes(parsing: """
            cpu  600 0 60 600 0 0 0 70 0 0
            cpu0 150 0 20 150 0 0 0 60 0 0
            cpu1 400 0 40 400 0 0 0 10 0 0
            """)
        #expect(before.cpus.keys.sorted() == [0, 1], "the summed cpu line is not a CPU")
        let shares = after.stealShares(since: before)
        #expect(shares[0] == 50.0 / 160.0)
        #expect(shares[1] == 0)
    }
}

@Suite struct InferenceOutcomeTests {
    @Test func decodesJSONLogits() {
        let body = #"{"model_name":"m","parameters":{"plan":"exit-025","exited":true,"expected_accuracy":0.9336,"queue_us":120.5,"compute_us":80,"total_us":260.25},"outputs":[{"name":"logits","datatype":"FP32","shape":[1,4],"data":[0.1,-2,3.5,1]}]}"#
        let outcome = InferenceOutcome(response: HTTPResponse(status: 200, body: Array(body.utf8)))
        var expected = InferenceOutcome(status: 200, plan: "exit-025", exited: true, expectedAccuracy: 0.9336, predictedClasses: [2])
        (expected.serverQueueMicros, expected.serverComputeMicros, expected.serverTotalMicros) = (120.5, 80, 260.25)
        #expect(outcome == expected)
    }

    @Test func decodesBinaryLogits() {
        let header = #"{"parameters":{"plan":"dense","exited":false,"expected_accuracy":0.93},"outputs":[{"name":"logits","datatype":"FP32","shape":[1,3],"parameters":{"binary_data_size":12}}]}"#
        let body = Array(header.utf8) + littleEndianBytes([0.5, -1, 7])
        let response = HTTPResponse(
            status: 200, headers: ["inference-header-content-length": String(header.utf8.count)], body: body)
        #expect(InferenceOutcome(response: response).predictedClasses == [2])
        #expect(InferenceOutcome(response: response).plan == "dense")
    }

    @Test func decodesOneRowPerImageFromJSON() {
        let body = #"{"parameters":{"plan":"branch-only","exited":true,"expected_accuracy":0.89},"outputs":[{"name":"logits","datatype":"FP32","shape":[3,4],"data":[0,5,1,1, 9,0,0,0, 0,0,0,0.5]}]}"#
        let response = HTTPResponse(status: 200, body: Array(body.utf8))
        let outcome = InferenceOutcome(response: response, imagesPerRequest: 3)
        #expect(outcome.predictedClasses == [1, 0, 3])
        #expect(outcome.expectedAccuracy == 0.89)
        #expect(outcome.rejectReason == nil)
        // The same answer for a request of 2 or 4 images cannot be matched to them.
        for k in [1, 2, 4] {
            let wrong = InferenceOutcome(response: response, imagesPerRequest: k)
            #expect(wrong.rejectReason == "bad_response", "k = \(k)")
            #expect(wrong.predictedClasses.isEmpty, "k = \(k)")
        }
    }

    @Test func decodesOneRowPerImageFromBinary() {
        let header = #"{"parameters":{"plan":"dense","exited":false,"expected_accuracy":0.93},"outputs":[{"name":"logits","datatype":"FP32","shape":[2,3],"parameters":{"binary_data_size":24}}]}"#
        let body = Array(header.utf8) + littleEndianBytes([0.5, -1, 7, 4, 3, -2])
        let headers: HTTPHeaderList = ["inference-header-content-length": String(header.utf8.count)]
        let outcome = InferenceOutcome(response: HTTPResponse(status: 200, headers: headers, body: body), imagesPerRequest: 2)
        #expect(outcome.predictedClasses == [2, 0])
        #expect(outcome.rejectReason == nil)
        // Three rows expected: the shape says two.
        let three = InferenceOutcome(response: HTTPResponse(status: 200, headers: headers, body: body), imagesPerRequest: 3)
        #expect(three.rejectReason == "bad_response")
        // A body cut short of its binary_data_size loses a row's worth of logits.
        let cut = InferenceOutcome(
            response: HTTPResponse(status: 200, headers: headers, body: Array(body.dropLast(12))), imagesPerRequest: 2)
        #expect(cut.rejectReason == "bad_response")
        #expect(cut.predictedClasses.isEmpty)
    }

    @Test func errorsKeepTheirReason() {
        let body = #"{"error":"the model's queue is full","reason":"queue_full"}"#
        #expect(InferenceOutcome(response: HTTPResponse(status: 503, body: Array(body.utf8))).rejectReason == "queue_full")
        #expect(InferenceOutcome(response: HTTPResponse(status: 500, body: Array("oops".utf8))).rejectReason == "http_500")
        #expect(InferenceOutcome(response: HTTPResponse(status: 200, body: Array("{}".utf8))).rejectReason == "bad_response")
    }

    @Test func endpointsParse() {
        #expect(Endpoint(url: "http://0.0.0.0:8000") == Endpoint(host: "127.0.0.1", port: 8000))
        #expect(Endpoint(url: "http://localhost:8001/v2") == Endpoint(host: "localhost", port: 8001))
        #expect(Endpoint(url: "[::1]:9000") == Endpoint(host: "::1", port: 9000))
        #expect(Endpoint(url: "https://x:1") == nil)
        #expect(Endpoint(url: "http://x") == nil)
    }
}
