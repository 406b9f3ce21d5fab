import Testing
import ZenithHTTP
import ZenithJSON

@testable import ZenithServer

/// The binary tensor extension as tritonclient sends it: a JSON header of
/// `Inference-Header-Content-Length` bytes, then the tensors in input order.
@Suite struct BinaryDecodingTests {
    let decoder = InferenceRequestDecoder(config: testConfig(dims: [784]))

    func header(shape: [Int] = [1, 784], size: JSONValue, extra: JSONObject = [:]) -> JSONValue {
        var input: JSONObject = [
            "name": "input", "shape": JSONValue(shape), "datatype": "FP32", "parameters": ["binary_data_size": size],
        ]
        for (key, value) in extra.entries { input[key] = value }
        return ["inputs": [.object(input)], "outputs": [["name": "logits", "parameters": ["binary_data": true]]]]
    }

    func lengthHeader(_ length: Int) -> HTTPHeaderList { ["Inference-Header-Content-Length": String(length)] }

    @Test func binaryInputsDecodeExactly() throws {
        let pixels = ramp(3 * 784).map { $0 * 3.7 - 1 }
        let (body, length) = binaryBody(
            header(shape: [3, 784], size: JSONValue(3 * 784 * 4)), littleEndianBytes(pixels))
        let request = try decodeOK(decoder, body, headers: lengthHeader(length))
        #expect(request.batchSize == 3)
        #expect(request.input == pixels)
        #expect(request.outputs == [RequestedOutput(name: "logits", binary: true)])
    }

    @Test func aHeaderLengthEqualToTheBodyMeansJSONOnly() throws {
        let json: JSONValue = [
            "inputs": [
                [
                    "name": "input", "shape": [1, 784], "datatype": "FP32",
                    "data": JSONValue(Array(repeating: 0, count: 784)),
                ]
            ]
        ]
        let body = Array(json.serialized().utf8)
        let request = try decodeOK(decoder, body, headers: lengthHeader(body.count))
        #expect(request.input.count == 784)
    }

    @Test func malformedBinaryRequestsAre400() {
        let floats = littleEndianBytes(Array(repeating: 0.25, count: 784))
        let good = header(size: 3136)

        func expect400(
            _ body: [UInt8], headers: HTTPHeaderList, _ phrase: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            let error = decodeError(decoder, body, headers: headers, sourceLocation: sourceLocation)
            #expect(error?.status == 400, sourceLocation: sourceLocation)
            #expect(error?.message.contains(phrase) == true, "\(error?.message ?? "")", sourceLocation: sourceLocation)
        }

        // The header length: larger than the body, negative, huge, not a number.
        let (body, length) = binaryBody(good, floats)
        expect400(body, headers: lengthHeader(body.count + 1), "larger than the")
        expect400(body, headers: ["inference-header-content-length": "-5"], "non-negative integer")
        expect400(body, headers: ["inference-header-content-length": "99999999999999999999999"], "non-negative integer")
        expect400(body, headers: ["inference-header-content-length": "12abc"], "non-negative integer")
        expect400(body, headers: ["inference-header-content-length": ""], "non-negative integer")
        // A header length that cuts the JSON.
        expect400(body, headers: lengthHeader(length - 3), "truncated JSON")

        // binary_data_size: negative, huge, not an integer, not matching the shape.
        for (size, phrase) in [
            (JSONValue(-1), "non-negative integer"), (JSONValue.int(Int64.max), "exceeds the 3136 bytes"),
            (JSONValue(1.5), "non-negative integer"), (JSONValue("3136"), "non-negative integer"),
            (JSONValue(3132), "does not match shape [1, 784]"),
        ] {
            let (body, length) = binaryBody(header(size: size), floats)
            expect400(body, headers: lengthHeader(length), phrase)
        }

        // Less binary data than claimed, more than claimed.
        let (short, shortLength) = binaryBody(good, Array(floats.dropLast(4)))
        expect400(short, headers: lengthHeader(shortLength), "exceeds the 3132 bytes")
        let (long, longLength) = binaryBody(good, floats + [0, 0, 0, 0])
        expect400(long, headers: lengthHeader(longLength), "4 bytes of binary data follow")

        // Both data and binary_data_size.
        let (both, bothLength) = binaryBody(header(size: 3136, extra: ["data": [1]]), floats)
        expect400(both, headers: lengthHeader(bothLength), "both data and")

        // Binary data with no input claiming it.
        let json: JSONValue = [
            "inputs": [
                [
                    "name": "input", "shape": [1, 784], "datatype": "FP32",
                    "data": JSONValue(Array(repeating: 0, count: 784)),
                ]
            ]
        ]
        let (unclaimed, unclaimedLength) = binaryBody(json, floats)
        expect400(unclaimed, headers: lengthHeader(unclaimedLength), "3136 bytes of binary data follow")

        // NaN and infinity in the binary data.
        for bad in [Float.nan, .infinity, -.infinity] {
            var values = Array(repeating: Float(0.5), count: 784)
            values[17] = bad
            let (body, length) = binaryBody(good, littleEndianBytes(values))
            expect400(body, headers: lengthHeader(length), "element 17 is")
        }

        // Shared memory is not offered.
        let (shm, shmLength) = binaryBody(
            [
                "inputs": [
                    [
                        "name": "input", "shape": [1, 784], "datatype": "FP32",
                        "parameters": ["shared_memory_region": "r"],
                    ]
                ]
            ], [])
        expect400(shm, headers: lengthHeader(shmLength), "shared memory is not supported")
    }
}
