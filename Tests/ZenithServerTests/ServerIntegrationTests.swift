import Foundation
import ZenithTestSupport
import NIOHTTP1
import Testing
import ZenithJSON

@testable import ZenithServer

/// The real server, the real models, real test images, over real sockets.
@Suite(.serialized) struct ServerIntegrationTests {
    static let models = ["fashion-cnn", "fashion-mlp"]

    func server() async throws -> RunningServer { try await RunningServer.shared.value }

    @Test func healthMetadataConfigAndIndex() async throws {
        let port = try await server().port
        let client = try await HTTP1TestClient.connect(port: port)
        defer { Task { await client.close() } }

        #expect(try await client.request(.GET, "/v2/health/live").status == 200)
        let ready = try await client.request(.GET, "/v2/health/ready")
        #expect(ready.status == 200)
        #expect(try JSONValue(parsing: ready.body)["ready"] == true)
        let server = try JSONValue(parsing: try await client.request(.GET, "/v2").body)
        #expect(server["name"] == "zenith")
        #expect(server["extensions"]?.arrayValue?.contains("binary_tensor_data") == true)

        for model in Self.models {
            let metadata = try JSONValue(parsing: try await client.request(.GET, "/v2/models/\(model)").body)
            #expect(metadata["name"] == .string(model))
            #expect(metadata["versions"] == ["1"])
            let shape: JSONValue = model == "fashion-cnn" ? [-1, 1, 28, 28] : [-1, 784]
            #expect(metadata["inputs"] == [["name": "input", "datatype": "FP32", "shape": shape]])
            #expect(metadata["outputs"] == [["name": "logits", "datatype": "FP32", "shape": [-1, 10]]])
            #expect(try await client.request(.GET, "/v2/models/\(model)/versions/1").status == 200)
            #expect(try await client.request(.GET, "/v2/models/\(model)/versions/7").status == 404)
            #expect(try await client.request(.GET, "/v2/models/\(model)/ready").status == 200)

            let config = try JSONValue(parsing: try await client.request(.GET, "/v2/models/\(model)/config").body)
            #expect(config["max_batch_size"] == 32)
            #expect(config["input"]?.arrayValue?.first?["data_type"] == "TYPE_FP32")
            #expect(config["zenith"]?["scheduling"] == "controller")
            #expect((config["zenith"]?["plans"]?.arrayValue?.count ?? 0) > 1)
            #expect(config["zenith"]?["slo"]?["policy"] == "reject")
        }
        #expect(try await client.request(.GET, "/v2/models/nope").status == 404)
        #expect(try await client.request(.GET, "/v2/models/nope/ready").status == 404)

        let index = try JSONValue(parsing: try await client.request(.POST, "/v2/repository/index").body)
        #expect(
            index == [
                ["name": "fashion-cnn", "version": "1", "state": "READY"],
                ["name": "fashion-mlp", "version": "1", "state": "READY"],
            ])
    }

    /// Each request's predictions must be the executor's for the plan the server reports, and
    /// match the real labels as well as the model does.
    @Test(arguments: models, [false, true])
    func infersRealTestImages(model: String, binary: Bool) async throws {
        let port = try await server().port
        let client = try await HTTP1TestClient.connect(port: port)
        defer { Task { await client.close() } }
        var correct = 0
        let batch = 16
        for start in stride(from: 0, to: 32, by: batch) {
            let range = start..<(start + batch)
            let response: TestResponse
            if binary {
                let (body, headers) = binaryInferRequest(model: model, range)
                response = try await client.request(
                    .POST, "/v2/models/\(model)/infer", headers: headers + [relaxed], body: body)
            } else {
                response = try await client.request(
                    .POST, "/v2/models/\(model)/infer", headers: [relaxed],
                    body: jsonInferRequest(model: model, range, id: "r\(start)"))
            }
            try #require(response.status == 200, "\(response.text)")
            let (logits, json) = try responseLogits(response)
            #expect(logits.count == batch * 10)
            if !binary { #expect(json["id"] == .string("r\(start)")) }
            let parameters = try #require(json["parameters"])
            #expect(parameters["slo_met"] == true)
            #expect((parameters["compute_us"]?.doubleValue ?? 0) > 0)
            let plan = try #require(parameters["plan"]?.stringValue)
            let plans =
                parameters["plans"]?.arrayValue?.compactMap(\.stringValue) ?? Array(repeating: plan, count: batch)
            let expected = try await ReferenceModels.predictions(model: model, plans: plans, images: range)
            #expect(predictions(logits) == expected, "images \(range), plans \(plans)")
            correct += zip(predictions(logits), TestImages.labels(range)).count { $0 == $1 }
        }
        #expect(correct >= 26, "\(model): \(correct) of 32 test images classified correctly")
    }

    @Test func classificationOutputsNameTheLabels() async throws {
        let port = try await server().port
        let body = jsonInferRequest(
            model: "fashion-cnn", 0..<2, outputs: [["name": "logits", "parameters": ["classification": 3]]],
            parameters: ["latency_target_ms": 60000])
        let response = try await send(port: port, .POST, "/v2/models/fashion-cnn/infer", body: body)
        try #require(response.status == 200, "\(response.text)")
        let output = try #require(try JSONValue(parsing: response.body)["outputs"]?.arrayValue?.first)
        #expect(output["datatype"] == "BYTES")
        #expect(output["shape"] == [2, 3])
        let strings = output["data"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(strings.count == 6)
        // Test image 0 is an ankle boot (class 9).
        #expect(strings.first?.hasSuffix(":9:Ankle boot") == true, "\(strings)")
    }

    @Test func h2cWithCurlAndNghttp() async throws {
        let port = try await server().port
        let curl = try #require(executable("curl"), "curl is needed (scripts/setup.sh installs it)")
        let nghttp = try #require(
            executable("nghttp"), "nghttp is needed (Debian's nghttp2-client; scripts/setup.sh installs it)")
        let directory = FileManager.default.temporaryDirectory
        let jsonFile = directory.appendingPathComponent("zenith-h2-\(UUID().uuidString).json")
        let binaryFile = directory.appendingPathComponent("zenith-h2-\(UUID().uuidString).bin")
        defer {
            try? FileManager.default.removeItem(at: jsonFile)
            try? FileManager.default.removeItem(at: binaryFile)
        }
        let range = 100..<108
        for model in Self.models {
            try Data(jsonInferRequest(model: model, range, parameters: ["latency_target_ms": 60000])).write(
                to: jsonFile)
            let viaCurl = try await run(
                curl,
                [
                    "-sS", "--http2-prior-knowledge", "-X", "POST", "--data-binary", "@\(jsonFile.path)",
                    "-H", "content-type: application/json", "-w", "\n%{http_version} %{http_code}",
                    "http://127.0.0.1:\(port)/v2/models/\(model)/infer",
                ])
            let lines = viaCurl.stdout.split(separator: "\n")
            #expect(lines.last == "2 200", "curl: \(viaCurl.stdout.suffix(300)) \(viaCurl.stderr)")
            let viaCurlAnswer = try responseLogits(
                TestResponse(status: 200, headers: [:], body: Array((lines.first ?? "").utf8)))
            #expect(predictions(viaCurlAnswer.logits).count == range.count)

            // nghttp speaks h2c with prior knowledge to http:// URIs; binary input, JSON output.
            let header: JSONValue = [
                "inputs": [
                    [
                        "name": "input", "datatype": "FP32",
                        "shape": JSONValue([range.count] + (model == "fashion-cnn" ? [1, 28, 28] : [784])),
                        "parameters": ["binary_data_size": JSONValue(range.count * 784 * 4)],
                    ]
                ],
                "parameters": ["latency_target_ms": 60000],
            ]
            let (body, length) = binaryBody(header, littleEndianBytes(TestImages.pixels(range)))
            try Data(body).write(to: binaryFile)
            let viaNghttp = try await run(
                nghttp,
                [
                    "-d", binaryFile.path, "-H", "inference-header-content-length: \(length)",
                    "http://127.0.0.1:\(port)/v2/models/\(model)/infer",
                ])
            #expect(viaNghttp.status == 0, "nghttp: \(viaNghttp.stderr)")
            let viaNghttpAnswer = try responseLogits(
                TestResponse(status: 200, headers: [:], body: Array(viaNghttp.stdout.utf8)))
            // Each transport's answer is the executor's for the plans that served it: the two
            // requests may be served by different plans (the controller follows the load, which
            // the other tests sharing this server make), and a borderline image may differ.
            for (transport, answer) in [("curl", viaCurlAnswer), ("nghttp", viaNghttpAnswer)] {
                let parameters = try #require(answer.json["parameters"], "\(model) via \(transport)")
                let plan = try #require(parameters["plan"]?.stringValue)
                let plans =
                    parameters["plans"]?.arrayValue?.compactMap(\.stringValue)
                    ?? Array(repeating: plan, count: range.count)
                let expected = try await ReferenceModels.predictions(model: model, plans: plans, images: range)
                #expect(predictions(answer.logits) == expected, "\(model) via \(transport), plans \(plans)")
            }
            let correct = zip(predictions(viaNghttpAnswer.logits), TestImages.labels(range)).count { $0 == $1 }
            #expect(correct >= 6, "\(model): \(correct) of 8 over HTTP/2")
        }
    }

    /// Malformed requests, each on its own connection and pipelined between good ones, while
    /// good requests run concurrently: every bad one gets its 4xx, every good one its answer.
    @Test func badRequestsDoNotDisturbConcurrentGoodOnes() async throws {
        let port = try await server().port
        let reference = try await send(
            port: port, .POST, "/v2/models/fashion-mlp/infer", headers: [relaxed],
            body: jsonInferRequest(model: "fashion-mlp", 0..<4))
        let expectedMLP = try predictions(responseLogits(reference).logits)

        let nan =
            #"{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 784], "data": [NaN"#
            + String(repeating: ", 0.5", count: 783) + "]}]}"
        let bad: [(HTTPMethod, String, [(String, String)], [UInt8], Int)] = [
            (.POST, "/v2/models/fashion-mlp/infer", [], Array("{\"inputs\": [".utf8), 400),
            (.POST, "/v2/models/fashion-mlp/infer", [], Array("not json".utf8), 400),
            (.POST, "/v2/models/fashion-mlp/infer", [], Array(nan.utf8), 400),
            (.POST, "/v2/models/fashion-mlp/infer", [], jsonInferRequest(model: "fashion-cnn", 0..<1), 400),
            (
                .POST, "/v2/models/fashion-mlp/infer", [("inference-header-content-length", "999999")],
                Array("{}".utf8), 400
            ),
            (.POST, "/v2/models/fashion-mlp/infer", [("inference-header-content-length", "-1")], Array("{}".utf8), 400),
            (.POST, "/v2/models/nope/infer", [], jsonInferRequest(model: "fashion-mlp", 0..<1), 404),
            (.GET, "/v2/models/fashion-mlp/infer", [], [], 405),
            (.GET, "/v2/nowhere", [], [], 404),
            (.POST, "/v2/models/fashion-mlp/infer", [], Array(repeating: UInt8(ascii: " "), count: 5 << 20), 413),
            (
                .POST, "/v2/models/fashion-mlp/infer", [("zenith-accuracy-target", "1.5")],
                jsonInferRequest(model: "fashion-mlp", 0..<1), 400
            ),
            (
                .POST, "/v2/models/fashion-mlp/infer", [("zenith-latency-target-ms", "0.001")],
                jsonInferRequest(model: "fashion-mlp", 0..<1), 429
            ),
        ]

        try await withThrowingTaskGroup(of: Void.self) { group in
            for round in 0..<4 {
                group.addTask {
                    let response = try await send(
                        port: port, .POST, "/v2/models/fashion-mlp/infer", headers: [relaxed],
                        body: jsonInferRequest(model: "fashion-mlp", 0..<4, id: "good\(round)"))
                    #expect(response.status == 200, "\(response.text)")
                    let (logits, json) = try responseLogits(response)
                    #expect(predictions(logits) == expectedMLP)
                    #expect(json["id"] == .string("good\(round)"))
                }
            }
            for (method, path, headers, body, status) in bad {
                group.addTask {
                    let response = try await send(port: port, method, path, headers: headers, body: body)
                    #expect(response.status == status, "\(method) \(path) \(headers): \(response.text)")
                    let json = try JSONValue(parsing: response.body)
                    #expect(json["error"]?.stringValue?.isEmpty == false)
                }
            }
            // Good, bad, good on one keep-alive connection: the connection survives the bad one.
            group.addTask {
                let client = try await HTTP1TestClient.connect(port: port)
                defer { Task { await client.close() } }
                for body in [
                    jsonInferRequest(model: "fashion-mlp", 0..<4), Array("{\"inputs\": 3}".utf8),
                    jsonInferRequest(model: "fashion-mlp", 0..<4),
                ] {
                    let response = try await client.request(
                        .POST, "/v2/models/fashion-mlp/infer", headers: [relaxed], body: body)
                    if body.count < 20 {
                        #expect(response.status == 400)
                    } else {
                        #expect(response.status == 200)
                        #expect(try predictions(responseLogits(response).logits) == expectedMLP)
                    }
                }
            }
            try await group.waitForAll()
        }
        let after = try await send(port: port, .GET, "/v2/health/ready")
        #expect(after.status == 200)
    }

    @Test func metricsAndStatisticsCountRequests() async throws {
        let port = try await server().port
        _ = try await send(
            port: port, .POST, "/v2/models/fashion-mlp/infer", headers: [relaxed],
            body: jsonInferRequest(model: "fashion-mlp", 0..<2))
        _ = try await send(port: port, .POST, "/v2/models/fashion-mlp/infer", body: Array("{".utf8))
        let metrics = try await send(port: port, .GET, "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
        for line in [
            #"zenith_requests_total{model="fashion-mlp",outcome="success"}"#,
            #"zenith_rejects_total{model="fashion-mlp",reason="bad_request"}"#,
            #"zenith_request_duration_seconds_bucket{model="fashion-mlp""#,
            #"zenith_queue_duration_seconds_count{model="fashion-mlp"}"#,
            #"zenith_compute_duration_seconds_count{model="fashion-mlp"}"#,
            #"zenith_slo_requests_total{model="fashion-mlp",met="true"}"#,
            #"zenith_plan_samples_total{model="fashion-mlp",plan="dense"}"#,
            #"zenith_exits_total{model="fashion-cnn",plan="dense"}"#,
            #"zenith_inflight_samples{model="fashion-mlp"}"#,
            #"zenith_queued_samples{model="fashion-mlp"}"#,
        ] {
            #expect(metrics.text.contains(line), "missing \(line)")
        }
        let success = metrics.text.split(separator: "\n").first {
            $0.hasPrefix(#"zenith_requests_total{model="fashion-mlp",outcome="success"}"#)
        }
        #expect((success?.split(separator: " ").last.flatMap { Double($0) } ?? 0) >= 1)

        let stats = try JSONValue(parsing: try await send(port: port, .GET, "/v2/models/fashion-mlp/stats").body)
        let entry = try #require(stats["model_stats"]?.arrayValue?.first)
        #expect((entry["inference_count"]?.intValue ?? 0) >= 2)
        #expect((entry["inference_stats"]?["success"]?["count"]?.intValue ?? 0) >= 1)
        #expect((entry["zenith"]?["rejects"]?["bad_request"]?.intValue ?? 0) >= 1)
        let all = try JSONValue(parsing: try await send(port: port, .GET, "/v2/models/stats").body)
        #expect(all["model_stats"]?.arrayValue?.count == 2)
    }

    @Test func unloadThenLoadAModel() async throws {
        let port = try await server().port
        let body = jsonInferRequest(model: "fashion-mlp", 0..<1)
        #expect(try await send(port: port, .POST, "/v2/repository/models/fashion-mlp/unload").status == 200)
        let gone = try await send(port: port, .POST, "/v2/models/fashion-mlp/infer", headers: [relaxed], body: body)
        #expect(gone.status == 404)
        #expect(gone.text.contains("not loaded"))
        #expect(try await send(port: port, .GET, "/v2/models/fashion-mlp/ready").status == 400)
        let index = try JSONValue(parsing: try await send(port: port, .POST, "/v2/repository/index").body)
        #expect(index.arrayValue?.last?["state"] == "UNAVAILABLE")
        // The other model is untouched.
        let cnn = try await send(
            port: port, .POST, "/v2/models/fashion-cnn/infer", headers: [relaxed],
            body: jsonInferRequest(model: "fashion-cnn", 0..<1))
        #expect(cnn.status == 200)

        #expect(try await send(port: port, .POST, "/v2/repository/models/fashion-mlp/load").status == 200)
        #expect(
            try await send(port: port, .POST, "/v2/models/fashion-mlp/infer", headers: [relaxed], body: body).status
                == 200)
        #expect(try await send(port: port, .POST, "/v2/repository/models/nope/load").status == 404)
    }
}

/// Graceful shutdown: requests in flight are answered, then `run()` returns.
@Suite struct ShutdownTests {
    @Test func shutdownAnswersRequestsInFlight() async throws {
        let server = try await RunningServer.start(models: ["fashion-cnn"])
        let port = server.port
        let scheduler = try #require(server.application.repository.model(named: "fashion-cnn")?.scheduler)
        // Shut down while a request is admitted and unanswered. The CNN's batches of 32 take long
        // enough, even in a release build, for the polling below to see one; but in a full run the
        // polling task can be held up as long, so an attempt whose requests were all answered
        // before it looked is repeated.
        let attempts = 5
        for _ in 0..<attempts {
            let finished = EventCount()
            let requests = (0..<8).map { _ in
                Task {
                    defer { finished.record() }
                    return try await send(
                        port: port, .POST, "/v2/models/fashion-cnn/infer", headers: [relaxed],
                        body: jsonInferRequest(model: "fashion-cnn", 0..<32)
                    ).status
                }
            }
            // The deadline only bounds a broken test.
            let deadline = ContinuousClock.now + EventCount.generousTimeout
            var inflight = scheduler.snapshot.inflight
            while inflight < 32, finished.count < requests.count, ContinuousClock.now < deadline {
                try await Task.sleep(for: .microseconds(200))
                inflight = scheduler.snapshot.inflight
            }
            guard inflight >= 32 else {
                for request in requests { _ = try? await request.value }
                continue
            }
            try await server.stop()

            var answered: [Int] = []
            for request in requests {
                // A request that reached the server is answered; one that had not may find it closed.
                if let status = try? await request.value { answered.append(status) }
            }
            #expect(answered.count * 32 >= inflight, "\(answered)")
            #expect(answered.allSatisfy { $0 == 200 || $0 == 503 }, "\(answered)")
            #expect(scheduler.snapshot.inflight == 0)
            await #expect(throws: (any Error).self) { try await send(port: port, .GET, "/v2/health/live") }
            return
        }
        try await server.stop()
        Issue.record("the requests finished before shutdown could catch them in flight, in all \(attempts) attempts")
    }
}

