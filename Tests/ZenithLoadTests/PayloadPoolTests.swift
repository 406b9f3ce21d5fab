import Foundation
import SwiftProtobuf
import Testing
import ZenithData
import ZenithGRPC
import ZenithHTTP
import ZenithJSON
import ZenithLoad

@Suite struct PayloadPoolTests {
    private let slo = SLOClass(name: "default", share: 1, latencyTargetMs: 10, accuracyTarget: 0.9)

    /// The JSON part of a body and the FP32 values after it (binary) or in `data` (JSON).
    private func decode(_ request: HTTPRequest) throws -> (header: JSONValue, values: [Float]) {
        if let length = request.headers["inference-header-content-length"].flatMap({ Int($0) }) {
            let header = try JSONValue(parsing: request.body[0..<length])
            var values: [Float] = []
            var index = length
            while index + 4 <= request.body.count {
                let bytes = request.body[index..<(index + 4)].map(UInt32.init)
                values.append(Float(bitPattern: bytes[0] | bytes[1] << 8 | bytes[2] << 16 | bytes[3] << 24))
                index += 4
            }
            return (header, values)
        }
        let header = try JSONValue(parsing: request.body)
        let data = try #require(header["inputs"]?.arrayValue?.first?["data"]?.arrayValue)
        return (header, data.map { Float($0.doubleValue ?? .nan) })
    }

    @Test func requestsCarryConsecutiveImagesWrappingOverThePool() throws {
        // 5 images, 2 per request: [0, 1], [2, 3], [4, 0] (the last wraps to the first image).
        for encoding in [PayloadEncoding.json, .binary] {
            let pool = PayloadPool(
                images: tinyImages(7), size: 5, model: "fashion-mlp", inputShape: [4], classes: [slo], encoding: encoding,
                imagesPerRequest: 2)
            #expect(pool.size == 3)
            #expect(pool.imageCount == 5)
            #expect(pool.imagesPerRequest == 2)
            #expect(pool.labels == [[0, 1], [2, 3], [4, 0]])
            for (index, images) in [[0, 1], [2, 3], [4, 0]].enumerated() {
                let (header, values) = try decode(pool.requests[0][index])
                let input = try #require(header["inputs"]?.arrayValue?.first)
                #expect(input["shape"] == JSONValue([2, 4]), "\(encoding)")
                // Every pixel of image i is i: the request holds the images in order.
                #expect(values == images.flatMap { [Float](repeating: Float($0), count: 4) }, "\(encoding)")
                if encoding == .binary {
                    #expect(input["parameters"]?["binary_data_size"]?.intValue == 2 * 4 * 4)
                    #expect(header["parameters"]?["binary_data_output"]?.boolValue == true)
                }
                #expect(header["parameters"]?["accuracy_target"]?.doubleValue == 0.9)
            }
        }
    }

    @Test func grpcRequestsAreFramedModelInferCalls() throws {
        let pool = PayloadPool(
            images: tinyImages(7), size: 5, model: "fashion-mlp", inputShape: [4], classes: [slo], encoding: .grpc,
            imagesPerRequest: 2)
        #expect(pool.labels == [[0, 1], [2, 3], [4, 0]])
        let request = pool.requests[0][1]
        #expect(request.method == "POST")
        #expect(request.path == "/inference.GRPCInferenceService/ModelInfer")
        #expect(request.headers["content-type"] == "application/grpc")
        #expect(request.headers["te"] == "trailers")
        let message = try Inference_ModelInferRequest(serializedBytes: Array(GRPCFraming.unaryMessage(in: request.body)))
        #expect(message.modelName == "fashion-mlp")
        #expect(message.inputs.map(\.name) == ["input"])
        #expect(message.inputs[0].shape == [2, 4])
        #expect(message.parameters["latency_target_ms"]?.doubleParam == 10)
        #expect(message.parameters["accuracy_target"]?.doubleParam == 0.9)
        #expect(message.parameters["binary_data_output"] == nil)
        let raw = Array(message.rawInputContents[0])
        let values = stride(from: 0, to: raw.count, by: 4).map { index in
            Float(bitPattern: raw[index..<(index + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        }
        #expect(values == [2, 3].flatMap { [Float](repeating: Float($0), count: 4) })
    }

    @Test func grpcAnswersAreDecodedLikeREST() throws {
        var answer = Inference_ModelInferResponse()
        var plan = Inference_InferParameter()
        plan.stringParam = "keep-25"
        answer.parameters["plan"] = plan
        var accuracy = Inference_InferParameter()
        accuracy.doubleParam = 0.89
        answer.parameters["expected_accuracy"] = accuracy
        var output = Inference_ModelInferResponse.InferOutputTensor()
        output.name = "logits"
        output.datatype = "FP32"
        output.shape = [2, 3]
        answer.outputs = [output]
        let logits: [Float] = [0, 5, 1, 7, 0, 2]
        answer.rawOutputContents = [Data(logits.flatMap { value -> [UInt8] in
            let bits = value.bitPattern
            return [UInt8(bits & 0xff), UInt8(bits >> 8 & 0xff), UInt8(bits >> 16 & 0xff), UInt8(bits >> 24)]
        })]
        let ok = HTTPResponse(
            status: 200, headers: ["content-type": "application/grpc"],
            body: GRPCFraming.framed(try answer.serializedBytes() as [UInt8]), trailers: ["grpc-status": "0"])
        let outcome = InferenceOutcome(response: ok, imagesPerRequest: 2)
        #expect(outcome.status == 200)
        #expect(outcome.plan == "keep-25")
        #expect(outcome.expectedAccuracy == 0.89)
        #expect(outcome.predictedClasses == [1, 0])
        #expect(InferenceOutcome.succeeded(ok))

        // A trailers-only refusal counts as REST's 429 with its reason.
        let refused = HTTPResponse(
            status: 200, headers: ["content-type": "application/grpc"],
            trailers: ["grpc-status": "8", "grpc-message": "too%20late", "zenith-reason": "slo_infeasible"])
        #expect(InferenceOutcome(response: refused) == InferenceOutcome(status: 429, rejectReason: "slo_infeasible"))
        #expect(!InferenceOutcome.succeeded(refused))
    }

    @Test func theCNNInputKeepsItsChannelDimension() throws {
        let pool = PayloadPool(
            images: tinyImages(8), size: 8, model: "fashion-cnn", inputShape: [1, 2, 2], classes: [slo, slo], encoding: .binary,
            imagesPerRequest: 4)
        #expect(pool.requests.count == 2)
        #expect(pool.size == 2)
        #expect(pool.labels == [[0, 1, 2, 3], [4, 5, 6, 7]])
        let (header, values) = try decode(pool.requests[1][1])
        #expect(header["inputs"]?.arrayValue?.first?["shape"] == JSONValue([4, 1, 2, 2]))
        #expect(values.count == 16)
        #expect(values.first == 4 && values.last == 7)
    }

    @Test func oneImagePerRequestIsTheDefault() throws {
        let pool = PayloadPool(images: tinyImages(3), size: 10, model: "fashion-mlp", inputShape: [4], classes: [slo], encoding: .json)
        #expect(pool.size == 3)
        #expect(pool.labels == [[0], [1], [2]])
        #expect(try decode(pool.requests[0][2]).header["inputs"]?.arrayValue?.first?["shape"] == JSONValue([1, 4]))
    }
}
