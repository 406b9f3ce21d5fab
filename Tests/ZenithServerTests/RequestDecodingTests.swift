import Testing
import ZenithControl
import ZenithHTTP
import ZenithJSON

@testable import ZenithServer

/// JSON inference requests: what decodes, and every malformed body's 400.
@Suite struct RequestDecodingTests {
    let mlp = InferenceRequestDecoder(config: testConfig(dims: [784]))
    let cnn = InferenceRequestDecoder(config: testConfig(dims: [1, 28, 28]))

    func body(_ value: JSONValue) -> [UInt8] { Array(value.serialized().utf8) }

    func input(shape: [Int], data: JSONValue, datatype: String = "FP32", name: String = "input") -> JSONValue {
        ["name": .string(name), "shape": JSONValue(shape), "datatype": .string(datatype), "data": data]
    }

    @Test func flatDataDecodesWithIdParametersAndDefaultOutputs() throws {
        let pixels = ramp(2 * 784)
        let request = try decodeOK(
            mlp,
            body([
                "id": "req-7",
                "parameters": [
                    "latency_target_ms": 25, "accuracy_target": 0.85, "slo_class": "gold", "priority": 1,
                    "timeout": 5000,
                ],
                "inputs": [input(shape: [2, 784], data: JSONValue(pixels.map(Double.init)))],
            ]))
        #expect(request.id == "req-7")
        #expect(request.batchSize == 2)
        #expect(request.input == pixels)
        #expect(request.outputs == [RequestedOutput(name: "logits", binary: false)])
        #expect(
            request.slo
                == RequestedSLO(
                    latencyTargetMs: 25, accuracyTarget: 0.85, sloClass: "gold", timeoutMicros: 5000, priority: 1))
    }

    @Test func nestedDataIsFlattenedRowMajor() throws {
        // [1, 1, 28, 28] as nested arrays, as numpy's tolist() writes it.
        let pixels = ramp(784)
        let rows: [JSONValue] = (0..<28).map { r in JSONValue((0..<28).map { Double(pixels[r * 28 + $0]) }) }
        let request = try decodeOK(cnn, body(["inputs": [input(shape: [1, 1, 28, 28], data: [[.array(rows)]])]]))
        #expect(request.input == pixels)
        #expect(request.batchSize == 1)
    }

    @Test func integersAreAcceptedAsFloats() throws {
        let request = try decodeOK(
            mlp, body(["inputs": [input(shape: [1, 784], data: JSONValue(Array(repeating: 1, count: 784)))]]))
        #expect(request.input == Array(repeating: 1, count: 784))
    }

    @Test func requestedOutputsAreHonoured() throws {
        let request = try decodeOK(
            mlp,
            body([
                "parameters": ["binary_data_output": true],
                "inputs": [input(shape: [1, 784], data: JSONValue(Array(repeating: 0.5, count: 784)))],
                "outputs": [["name": "logits", "parameters": ["classification": 3, "binary_data": false]]],
            ]))
        #expect(request.outputs == [RequestedOutput(name: "logits", binary: false, classification: 3)])

        let binaryDefault = try decodeOK(
            mlp,
            body([
                "parameters": ["binary_data_output": true],
                "inputs": [input(shape: [1, 784], data: JSONValue(Array(repeating: 0.5, count: 784)))],
            ]))
        #expect(binaryDefault.outputs == [RequestedOutput(name: "logits", binary: true)])

        let clamped = try decodeOK(
            mlp,
            body([
                "inputs": [input(shape: [1, 784], data: JSONValue(Array(repeating: 0.5, count: 784)))],
                "outputs": [["name": "logits", "parameters": ["classification": 50]]],
            ]))
        #expect(clamped.outputs.first?.classification == 10)
    }

    static let zeros784 = JSONValue(Array(repeating: 0, count: 784))

    /// Every malformed JSON request, with a phrase its 400 must contain.
    static let malformed: [(String, String)] = [
        ("", "empty"),
        ("{", "truncated JSON"),
        (#"{"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": [0.1, 0.2"#, "truncated JSON"),
        ("{inputs: []}", "invalid JSON"),
        (#"{"inputs": []} trailing"#, "invalid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ("{}", "inputs is missing"),
        (#"{"inputs": {}}"#, "inputs must be an array"),
        (#"{"inputs": []}"#, "inputs is empty"),
        (#"{"inputs": [7]}"#, "must be an object"),
        (#"{"id": 5, "inputs": []}"#, "id must be a string"),
        (#"{"inputs": [{"shape": [1, 784], "datatype": "FP32", "data": []}]}"#, "name is missing"),
        (
            #"{"inputs": [{"name": "pixels", "shape": [1, 784], "datatype": "FP32", "data": []}]}"#,
            "unknown input 'pixels'"
        ),
        (#"{"inputs": [{"name": "input", "shape": [1, 784], "data": []}]}"#, "datatype is missing"),
        (
            #"{"inputs": [{"name": "input", "shape": [1, 784], "datatype": "INT32", "data": []}]}"#,
            "datatype INT32 is not accepted"
        ),
        (
            #"{"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP64", "data": []}]}"#,
            "datatype FP64 is not accepted"
        ),
        (#"{"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FLOAT", "data": []}]}"#, "not a datatype"),
        (#"{"inputs": [{"name": "input", "datatype": "FP32", "data": []}]}"#, "shape is missing"),
        (
            #"{"inputs": [{"name": "input", "shape": [784], "datatype": "FP32", "data": []}]}"#,
            "does not match [batch, 784]"
        ),
        (#"{"inputs": [{"name": "input", "shape": [1, 28, 28], "datatype": "FP32", "data": []}]}"#, "does not match"),
        (#"{"inputs": [{"name": "input", "shape": [1, 783], "datatype": "FP32", "data": []}]}"#, "does not match"),
        (
            #"{"inputs": [{"name": "input", "shape": [-1, 784], "datatype": "FP32", "data": []}]}"#,
            "non-negative integers"
        ),
        (
            #"{"inputs": [{"name": "input", "shape": [1.5, 784], "datatype": "FP32", "data": []}]}"#,
            "non-negative integers"
        ),
        (
            #"{"inputs": [{"name": "input", "shape": "1x784", "datatype": "FP32", "data": []}]}"#,
            "shape must be an array"
        ),
        (
            #"{"inputs": [{"name": "input", "shape": [0, 784], "datatype": "FP32", "data": []}]}"#,
            "batch size 0 is outside 1...4"
        ),
        (
            #"{"inputs": [{"name": "input", "shape": [5, 784], "datatype": "FP32", "data": []}]}"#,
            "batch size 5 is outside 1...4"
        ),
        (
            #"{"inputs": [{"name": "input", "shape": [9223372036854775807, 784], "datatype": "FP32", "data": []}]}"#,
            "outside 1...4"
        ),
        (#"{"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32"}]}"#, "neither data nor"),
        (
            #"{"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": [1, 2, 3]}]}"#,
            "data has 3 elements but shape [1, 784] needs 784"
        ),
        (
            #"{"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": 1}]}"#,
            "expected an array of numbers"
        ),
        (
            #"{"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": ["a"]}]}"#,
            "element 0 is a string"
        ),
        (
            #"{"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": [1, true]}]}"#,
            "element 1 is a boolean"
        ),
        (
            #"{"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": [1, null]}]}"#,
            "element 1 is null"
        ),
        (
            #"{"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": [NaN]}]}"#,
            "element 0 is not a finite"
        ),
        (
            #"{"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": [0, Infinity]}]}"#,
            "element 1 is not a finite"
        ),
        (
            #"{"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": [0, -Infinity]}]}"#,
            "element 1 is not a finite"
        ),
        (
            #"{"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": [1e39]}]}"#,
            "element 0 is not a finite"
        ),
        (#"{"parameters": [], "inputs": []}"#, "parameters must be an object"),
        (#"{"parameters": {"latency_target_ms": "fast"}, "inputs": []}"#, "latency_target_ms must be a number"),
        (#"{"parameters": {"accuracy_target": null}, "inputs": []}"#, "accuracy_target must be a number"),
        (#"{"parameters": {"slo_class": 3}, "inputs": []}"#, "slo_class must be a string"),
        (#"{"parameters": {"timeout": -1}, "inputs": []}"#, "timeout must be a non-negative integer"),
        (#"{"parameters": {"priority": 1.5}, "inputs": []}"#, "priority must be a non-negative integer"),
        (#"{"parameters": {"binary_data_output": "yes"}, "inputs": []}"#, "binary_data_output must be true or false"),
    ]

    @Test(arguments: malformed)
    func malformedJSONIs400WithAReason(text: String, phrase: String) {
        guard let error = decodeError(mlp, Array(text.utf8)) else { return }
        #expect(error.status == 400)
        #expect(error.message.contains(phrase), "\(error.message)")
        let body = String(decoding: error.response.body, as: UTF8.self)
        #expect(body.hasPrefix(#"{"error":"#))
        #expect(error.response.headers["content-type"] == "application/json")
    }

    @Test func tooManyElementsStopAtTheLimit() {
        let data = JSONValue(Array(repeating: 0, count: 10_000))
        let error = decodeError(mlp, body(["inputs": [input(shape: [1, 784], data: data)]]))
        #expect(error?.message.contains("more than the 784 elements") == true)
    }

    @Test func anInputGivenTwiceIsRejected() {
        let one = input(shape: [1, 784], data: Self.zeros784)
        #expect(decodeError(mlp, body(["inputs": [one, one]]))?.message.contains("more than once") == true)
    }

    @Test func outputsAreChecked() {
        let one = input(shape: [1, 784], data: Self.zeros784)
        let cases: [(JSONValue, String)] = [
            (["x"], "must be an object"),
            ([["name": "probs"]], "unknown output 'probs'"),
            ([["name": "logits"], ["name": "logits"]], "requested twice"),
            (
                [["name": "logits", "parameters": ["classification": -2]]],
                "classification must be a non-negative integer"
            ),
            ([["name": "logits", "parameters": ["binary_data": 1]]], "binary_data must be true or false"),
            ([["name": "logits", "parameters": ["shared_memory_region": "r"]]], "shared memory is not supported"),
            ("logits", "outputs must be an array"),
        ]
        for (outputs, phrase) in cases {
            let error = decodeError(mlp, body(["inputs": [one], "outputs": outputs]))
            #expect(error?.status == 400)
            #expect(error?.message.contains(phrase) == true, "\(error?.message ?? "") should say \(phrase)")
        }
    }

    @Test func compressedBodiesAre415() {
        let error = decodeError(mlp, body(["inputs": []]), headers: ["content-encoding": "gzip"])
        #expect(error?.status == 415)
    }
}
