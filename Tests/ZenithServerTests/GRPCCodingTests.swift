import Foundation
import SwiftProtobuf
import Testing
import ZenithControl
import ZenithGRPC
import ZenithHTTP

@testable import ZenithServer

/// REST's errors and the scheduler's failures as gRPC statuses, and gRPC responses.
@Suite struct GRPCStatusMappingTests {
    @Test func restErrorsMapToGRPCCodes() {
        #expect(GRPCStatus(.badRequest("x")).code == .invalidArgument)
        #expect(GRPCStatus(.notFound("x")).code == .notFound)
        #expect(GRPCStatus(RequestError(status: 429, message: "x", reason: "slo_infeasible")).reason == "slo_infeasible")
    }

    @Test func theGRPCTimeoutHeaderBecomesMillisecondsOrA400() throws {
        #expect(try GRPCTimeout.milliseconds(in: ["grpc-timeout": "250u"]) == 0.25)
        #expect(try GRPCTimeout.milliseconds(in: [:]) == nil)
        #expect(throws: RequestError.self) { try GRPCTimeout.milliseconds(in: ["grpc-timeout": "soon"]) }
    }

    @Test func schedulerFailuresMapToGRPCCodes() {
        let infeasible = GRPCStatus(InferenceFailure.rejected(.sloInfeasible(retryAfterNanos: 2_000_000_000)))
        #expect(infeasible.code == .resourceExhausted)
        #expect(infeasible.reason == "slo_infeasible")
        #expect(infeasible.retryAfterSeconds == 2)
        #expect(GRPCStatus(InferenceFailure.rejected(.queueFull(retryAfterNanos: 1))).code == .unavailable)
        #expect(GRPCStatus(InferenceFailure.expired(.deadlinePassed)).code == .deadlineExceeded)
        #expect(GRPCStatus(InferenceFailure.expired(.timedOut)).code == .deadlineExceeded)
        #expect(GRPCStatus(InferenceFailure.cancelled).code == .cancelled)
        #expect(GRPCStatus(InferenceFailure.unavailable).code == .unavailable)
        #expect(GRPCStatus(InferenceFailure.executorFailed("boom")).code == .internal)
        #expect(GRPCStatus(InferenceFailure.invalidTarget(.accuracyOutOfRange(1.5))).code == .invalidArgument)
    }

    @Test func anErrorIsATrailersOnlyResponse() {
        let response = HTTPResponse.grpc(GRPCStatus(.notFound, "unknown model 'x'", reason: "r", retryAfterSeconds: 3))
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.headers["content-type"] == "application/grpc")
        #expect(response.trailers?["grpc-status"] == "5")
        #expect(response.trailers?["grpc-message"] == "unknown model 'x'")
        #expect(response.trailers?["zenith-reason"] == "r")
        #expect(response.trailers?["retry-after"] == "3")
        #expect(GRPCStatus(response: response) == GRPCStatus(.notFound, "unknown model 'x'", reason: "r", retryAfterSeconds: 3))
    }

    @Test func aMessageIsFramedWithStatusOKInTheTrailers() throws {
        var live = Inference_ServerLiveResponse()
        live.live = true
        let response = HTTPResponse.grpc(live)
        #expect(response.trailers?["grpc-status"] == "0")
        #expect(response.trailers?["grpc-message"] == nil)
        let message = try GRPCFraming.unaryMessage(in: response.body)
        #expect(try Inference_ServerLiveResponse(serializedBytes: Array(message)).live)
    }
}

/// `ModelInferRequest` into the scheduler's `InferenceRequest`, and the result back out.
@Suite struct GRPCInferenceCodingTests {
    let decoder = InferenceRequestDecoder(config: testConfig(dims: [784]))
    let encoder = InferenceResponseEncoder(config: testConfig(), labels: (0..<10).map { "class\($0)" })

    func request(
        batch: Int = 2, raw: [Float]? = nil, typed: [Float]? = nil, parameters: [String: Inference_InferParameter] = [:]
    ) -> Inference_ModelInferRequest {
        var message = Inference_ModelInferRequest()
        message.modelName = "m"
        message.id = "r1"
        message.parameters = parameters
        var input = Inference_ModelInferRequest.InferInputTensor()
        input.name = "input"
        input.datatype = "FP32"
        input.shape = [Int64(batch), 784]
        if let typed { input.contents.fp32Contents = typed }
        message.inputs = [input]
        if let raw { message.rawInputContents = [Data(littleEndianBytes(raw))] }
        return message
    }

    func parameter(_ value: JSONValueLike) -> Inference_InferParameter {
        var parameter = Inference_InferParameter()
        switch value {
        case .double(let d): parameter.doubleParam = d
        case .int(let i): parameter.int64Param = i
        case .string(let s): parameter.stringParam = s
        }
        return parameter
    }

    enum JSONValueLike {
        case double(Double)
        case int(Int64)
        case string(String)
    }

    func decode(_ message: Inference_ModelInferRequest, headers: HTTPHeaderList = [:], deadlineMs: Double? = nil)
        throws(RequestError) -> InferenceRequest
    {
        try decoder.decode(message, headers: headers, deadlineMs: deadlineMs)
    }

    @Test func rawAndTypedContentsDecodeAlike() throws {
        let pixels = ramp(2 * 784)
        let raw = try decode(request(raw: pixels))
        let typed = try decode(request(typed: pixels))
        #expect(raw.input == pixels)
        #expect(typed.input == pixels)
        #expect(raw.batchSize == 2)
        #expect(raw.id == "r1")
        #expect(raw.outputs == [RequestedOutput(name: "logits", binary: true)])
    }

    @Test func sloParametersAreReadAsOverREST() throws {
        let decoded = try decode(
            request(
                raw: ramp(2 * 784),
                parameters: [
                    "latency_target_ms": parameter(.double(25)), "accuracy_target": parameter(.double(0.85)),
                    "slo_class": parameter(.string("gold")), "timeout": parameter(.int(5000)),
                    "priority": parameter(.int(1)),
                ]))
        #expect(
            decoded.slo
                == RequestedSLO(
                    latencyTargetMs: 25, accuracyTarget: 0.85, sloClass: "gold", timeoutMicros: 5000, priority: 1))
        // An integer latency target is a number too; a string is not.
        #expect(try decode(request(raw: ramp(2 * 784), parameters: ["latency_target_ms": parameter(.int(7))])).slo
            .latencyTargetMs == 7)
        #expect(throws: RequestError.self) {
            try decode(request(raw: ramp(2 * 784), parameters: ["accuracy_target": parameter(.string("high"))]))
        }
        // Metadata stands in for parameters, as REST's headers do.
        #expect(try decode(request(raw: ramp(2 * 784)), headers: ["zenith-latency-target-ms": "40"]).slo.latencyTargetMs
            == 40)
    }

    @Test func grpcTimeoutIsTheLatencyTargetWhenTheRequestSetsNone() throws {
        #expect(try decode(request(raw: ramp(2 * 784)), deadlineMs: 100).slo.latencyTargetMs == 100)
        let explicit = request(raw: ramp(2 * 784), parameters: ["latency_target_ms": parameter(.double(25))])
        #expect(try decode(explicit, deadlineMs: 100).slo.latencyTargetMs == 25)
        // A class's own target stands.
        let classed = request(raw: ramp(2 * 784), parameters: ["slo_class": parameter(.string("gold"))])
        #expect(try decode(classed, deadlineMs: 100).slo.latencyTargetMs == nil)
    }

    @Test func badInputsAre400sNamingTheProblem() {
        func message(_ build: (inout Inference_ModelInferRequest) -> Void) -> String {
            var message = request(raw: ramp(2 * 784))
            build(&message)
            do {
                _ = try decode(message)
                return "decoded"
            } catch {
                #expect(error.status == 400)
                return error.message
            }
        }
        #expect(message { $0.inputs[0].shape = [2, 28, 28] }.contains("does not match [batch, 784]"))
        #expect(message { $0.inputs[0].datatype = "FP64" }.contains("datatype FP64 is not accepted"))
        #expect(message { $0.inputs[0].name = "pixels" }.contains("unknown input 'pixels'"))
        #expect(message { $0.inputs = [] }.contains("inputs is empty"))
        #expect(message { $0.inputs.append($0.inputs[0]) }.contains("raw_input_contents has 1 entries for 2 inputs"))
        #expect(message { $0.rawInputContents = [Data(count: 12)] }.contains("has 12 bytes"))
        #expect(message { $0.inputs[0].contents.fp32Contents = [1] }.contains("both contents and raw_input_contents"))
        #expect(
            message {
                $0.rawInputContents = []
                $0.inputs[0].contents.int64Contents = [1]
            }.contains("contents.int64_contents"))
        #expect(message { $0.rawInputContents = [] }.contains("neither contents.fp32_contents nor raw_input_contents"))
        #expect(
            message {
                $0.rawInputContents = []
                $0.inputs[0].contents.fp32Contents = [Float](repeating: 0, count: 100)
            }.contains("has 100 elements"))
        #expect(
            message {
                $0.rawInputContents = [Data(littleEndianBytes([Float.nan] + ramp(2 * 784 - 1)))]
            }.contains("element 0 is nan"))
        #expect(
            message {
                var output = Inference_ModelInferRequest.InferRequestedOutputTensor()
                output.name = "probs"
                $0.outputs = [output]
            }.contains("unknown output 'probs'"))
        #expect(
            message {
                $0.inputs[0].parameters["shared_memory_region"] = parameter(.string("r"))
            }.contains("shared memory is not supported"))
    }

    @Test func classificationOutputsAreRequestedByParameter() throws {
        var message = request(raw: ramp(2 * 784))
        var output = Inference_ModelInferRequest.InferRequestedOutputTensor()
        output.name = "logits"
        output.parameters["classification"] = parameter(.int(3))
        message.outputs = [output]
        #expect(try decode(message).outputs == [RequestedOutput(name: "logits", binary: true, classification: 3)])
    }

    @Test func theResponseCarriesRawOutputsAndRESTsParameters() throws {
        var logits = [Float](repeating: 0, count: 20)
        logits[2] = 3.5
        logits[19] = 2
        let sample = SampleReport(
            plan: "w50", expectedAccuracy: 0.9, exited: false, queueNanos: 1_500, computeNanos: 20_250, batchSize: 2,
            batch: 1, sloMet: true, bestEffort: false)
        let result = InferenceResult(logits: logits, samples: [sample, sample])
        let request = InferenceRequest(
            id: "r1", batchSize: 2, input: [],
            outputs: [
                RequestedOutput(name: "logits", binary: true),
                RequestedOutput(name: "logits", binary: true, classification: 1),
            ],
            slo: RequestedSLO())
        let response = encoder.grpcResponse(request, result: result, totalNanos: 30_000)
        #expect(response.modelName == "m")
        #expect(response.modelVersion == "1")
        #expect(response.id == "r1")
        #expect(response.outputs.map(\.datatype) == ["FP32", "BYTES"])
        #expect(response.outputs[0].shape == [2, 10])
        #expect(response.outputs[1].shape == [2, 1])
        #expect(Array(response.rawOutputContents[0]) == littleEndianBytes(logits))
        // BYTES elements: a 4-byte little-endian length, then the string.
        let classes = Array(response.rawOutputContents[1])
        let first = "3.500000:2:class2"
        #expect(classes.prefix(4) == [UInt8(first.utf8.count), 0, 0, 0])
        #expect(String(decoding: classes[4..<(4 + first.utf8.count)], as: UTF8.self) == first)
        #expect(response.parameters["plan"]?.stringParam == "w50")
        #expect(response.parameters["slo_met"]?.boolParam == true)
        #expect(response.parameters["queue_us"]?.doubleParam == 1.5)
        #expect(response.parameters["compute_us"]?.doubleParam == 20.25)
        #expect(response.parameters["total_us"]?.doubleParam == 30)
        #expect(response.parameters["expected_accuracy"]?.doubleParam == 0.9)
    }
}
