import Testing
import ZenithHTTP
import ZenithJSON

@testable import ZenithServer

@Suite struct ResponseEncodingTests {
    let encoder = InferenceResponseEncoder(
        config: testConfig(),
        labels: [
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ])

    func sample(
        plan: String = "dense", accuracy: Double = 0.92, exited: Bool = false, batch: UInt64 = 1, met: Bool = true
    ) -> SampleReport {
        SampleReport(
            plan: plan, expectedAccuracy: accuracy, exited: exited, queueNanos: 1_500, computeNanos: 20_250,
            batchSize: 2,
            batch: batch, sloMet: met, bestEffort: false)
    }

    /// Two samples of logits: class 2 wins the first, class 9 the second.
    var result: InferenceResult {
        var logits = [Float](repeating: 0, count: 20)
        logits[2] = 3.5
        logits[1] = 1.25
        logits[19] = 2
        return InferenceResult(logits: logits, samples: [sample(), sample()])
    }

    func request(_ outputs: [RequestedOutput], id: String? = "abc") -> InferenceRequest {
        InferenceRequest(id: id, batchSize: 2, input: [], outputs: outputs, slo: .init())
    }

    @Test func jsonOutputsInTheProtocolShape() throws {
        let response = encoder.encode(request([RequestedOutput(name: "logits")]), result: result, totalNanos: 40_000)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.headers["inference-header-content-length"] == nil)
        let json = try JSONValue(parsing: response.body)
        #expect(json["model_name"] == "m")
        #expect(json["model_version"] == "1")
        #expect(json["id"] == "abc")
        let output = try #require(json["outputs"]?.arrayValue?.first)
        #expect(output["name"] == "logits")
        #expect(output["datatype"] == "FP32")
        #expect(output["shape"] == [2, 10])
        #expect(output["data"]?.arrayValue?.compactMap(\.doubleValue).map(Float.init) == result.logits)
        let parameters = try #require(json["parameters"])
        #expect(parameters["plan"] == "dense")
        #expect(parameters["exited"] == false)
        #expect(parameters["queue_us"] == 1.5)
        #expect(parameters["compute_us"] == 20.25)  // one batch, counted once
        #expect(parameters["total_us"] == 40.0)
        #expect(parameters["expected_accuracy"] == 0.92)
        #expect(parameters["slo_met"] == true)
        #expect(parameters["best_effort"] == false)
        #expect(parameters["exits"] == 0)
        #expect(parameters["plans"] == nil)
    }

    @Test func binaryOutputsFollowTheHeader() throws {
        let response = encoder.encode(
            request([RequestedOutput(name: "logits", binary: true)], id: nil), result: result, totalNanos: 1)
        #expect(response.headers["content-type"] == "application/octet-stream")
        let length = try #require(response.headers["inference-header-content-length"].flatMap { Int($0) })
        let json = try JSONValue(parsing: response.body[..<length])
        #expect(json["id"] == nil)
        let output = try #require(json["outputs"]?.arrayValue?.first)
        #expect(output["data"] == nil)
        #expect(output["parameters"]?["binary_data_size"] == 80)
        #expect(Array(response.body[length...]) == littleEndianBytes(result.logits))
    }

    @Test func classificationAsJSONAndBinaryBytes() throws {
        let json = encoder.encode(
            request([RequestedOutput(name: "logits", classification: 2)]), result: result, totalNanos: 1)
        let output = try #require(try JSONValue(parsing: json.body)["outputs"]?.arrayValue?.first)
        #expect(output["datatype"] == "BYTES")
        #expect(output["shape"] == [2, 2])
        #expect(
            output["data"] == [
                "3.500000:2:Pullover", "1.250000:1:Trouser", "2.000000:9:Ankle boot", "0.000000:0:T-shirt/top",
            ])

        let binary = encoder.encode(
            request([RequestedOutput(name: "logits", binary: true, classification: 1)]), result: result, totalNanos: 1)
        let length = try #require(binary.headers["inference-header-content-length"].flatMap { Int($0) })
        let bytes = Array(binary.body[length...])
        // Each element: a 4-byte little-endian length, then the UTF-8 string.
        var strings: [String] = []
        var offset = 0
        while offset < bytes.count {
            let count =
                Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3])
                << 24
            strings.append(String(decoding: bytes[(offset + 4)..<(offset + 4 + count)], as: UTF8.self))
            offset += 4 + count
        }
        #expect(strings == ["3.500000:2:Pullover", "2.000000:9:Ankle boot"])
        let header = try JSONValue(parsing: binary.body[..<length])
        #expect(header["outputs"]?.arrayValue?.first?["parameters"]?["binary_data_size"] == JSONValue(bytes.count))
    }

    @Test func mixedPlansReportTheWeakestAndEachSample() {
        let result = InferenceResult(
            logits: [Float](repeating: 0, count: 30),
            samples: [
                sample(plan: "dense", accuracy: 0.92, exited: false, batch: 1),
                sample(plan: "exit-50", accuracy: 0.90, exited: true, batch: 2, met: false),
                sample(plan: "exit-50", accuracy: 0.90, exited: true, batch: 2),
            ])
        let parameters = InferenceResponseEncoder.parameters(for: result, totalNanos: 0)
        #expect(parameters["plan"] == "exit-50")
        #expect(parameters["plans"] == ["dense", "exit-50", "exit-50"])
        #expect(parameters["expected_accuracy"] == 0.9)
        #expect(parameters["exited"] == false)
        #expect(parameters["exits"] == 2)
        #expect(parameters["compute_us"] == 40.5)  // two batches
        #expect(parameters["slo_met"] == false)
    }

    @Test func errorsCarryReasonAndRetryAfter() throws {
        let queueFull = InferenceFailure.rejected(.queueFull(retryAfterNanos: 1_200_000_000)).requestError.response
        #expect(queueFull.status == 503)
        #expect(queueFull.headers["retry-after"] == "2")
        let json = try JSONValue(parsing: queueFull.body)
        #expect(json["reason"] == "queue_full")
        #expect(json["error"]?.stringValue?.isEmpty == false)

        let infeasible = InferenceFailure.rejected(.sloInfeasible(retryAfterNanos: 3_000)).requestError
        #expect(infeasible.status == 429)
        #expect(infeasible.reason == "slo_infeasible")
        #expect(infeasible.retryAfterSeconds == 1)
        #expect(InferenceFailure.rejected(.sloInfeasible(retryAfterNanos: nil)).requestError.retryAfterSeconds == nil)
        #expect(InferenceFailure.expired(.deadlinePassed).requestError.status == 429)
        #expect(InferenceFailure.expired(.timedOut).requestError.status == 504)
        #expect(InferenceFailure.unavailable.requestError.status == 503)
        #expect(InferenceFailure.executorFailed("x").requestError.status == 500)
    }
}

@Suite struct ClassificationTests {
    @Test func topKIsHighestFirstTiesToTheLowerIndex() {
        let row: [Float] = [0.5, 2, 2, -1]
        #expect(
            Classification.topK(row[...], k: 3, labels: ["a", "b", "c", "d"]) == [
                "2.000000:1:b", "2.000000:2:c", "0.500000:0:a",
            ])
        #expect(Classification.topK(row[...], k: 1, labels: []) == ["2.000000:1"])
        #expect(Classification.topK(row[...], k: 9, labels: []).count == 4)
    }

    @Test func scoresHaveSixDecimalsLikeStdToString() {
        #expect(Classification.fixed6(0.1234567) == "0.123457")
        #expect(Classification.fixed6(-3.25) == "-3.250000")
        #expect(Classification.fixed6(12) == "12.000000")
        #expect(Classification.fixed6(0) == "0.000000")
    }

    @Test func aSliceOfALargerBufferIsIndexedFromItsStart() {
        let logits: [Float] = [9, 0, 0, 0, 1, 5]
        #expect(Classification.topK(logits[3...], k: 1, labels: ["x", "y", "z"]) == ["5.000000:2:z"])
    }
}
