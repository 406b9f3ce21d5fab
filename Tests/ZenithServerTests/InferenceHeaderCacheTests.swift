import Testing
import ZenithHTTP
import ZenithJSON

@testable import ZenithServer

/// Requests that repeat a JSON header share its parse (`InferenceHeaderCache`): what they decode
/// must be exactly what a fresh parse gives, with each request's own tensor bytes and HTTP headers.
@Suite struct InferenceHeaderCacheTests {
    static func header(shape: [Int], parameters: JSONObject = [:]) -> JSONValue {
        var root: JSONObject = [
            "inputs": [
                [
                    "name": "input", "shape": JSONValue(shape), "datatype": "FP32",
                    "parameters": ["binary_data_size": JSONValue(shape.reduce(1, *) * 4)],
                ]
            ],
            "outputs": [["name": "logits", "parameters": ["binary_data": true, "classification": 2]]],
        ]
        if parameters.count > 0 { root["parameters"] = .object(parameters) }
        return .object(root)
    }

    static func request(_ header: JSONValue, _ pixels: [Float]) -> (body: [UInt8], headers: HTTPHeaderList) {
        let (body, length) = binaryBody(header, littleEndianBytes(pixels))
        return (body, ["Inference-Header-Content-Length": String(length)])
    }

    @Test func aRepeatedHeaderDecodesAsAFreshParseWithItsOwnTensor() throws {
        let cached = InferenceRequestDecoder(config: testConfig(dims: [784]))
        let header = Self.header(shape: [1, 784], parameters: ["latency_target_ms": 25])
        for round in 0..<5 {
            let pixels = ramp(784).map { $0 + Float(round) }
            let (body, headers) = Self.request(header, pixels)
            // A new decoder has an empty cache: its answer is a fresh parse's.
            let fresh = try decodeOK(InferenceRequestDecoder(config: testConfig(dims: [784])), body, headers: headers)
            let request = try decodeOK(cached, body, headers: headers)
            #expect(request == fresh)
            #expect(request.input == pixels, "round \(round): the tensor is this request's, not the first one's")
        }
        #expect(cached.headerCache.count == 1)

        // The HTTP headers are read per request, even when the JSON header is a cached one.
        let (body, headers) = Self.request(header, ramp(784))
        var strict = headers
        strict.append(name: "zenith-accuracy-target", value: "0.5")
        let fresh = try decodeOK(InferenceRequestDecoder(config: testConfig(dims: [784])), body, headers: strict)
        #expect(try decodeOK(cached, body, headers: strict) == fresh)
        #expect(try decodeOK(cached, body, headers: headers) != fresh)
    }

    @Test func differentHeadersKeepTheirOwnMeaning() throws {
        let decoder = InferenceRequestDecoder(config: testConfig(dims: [784]))
        for _ in 0..<3 {
            let one = Self.request(Self.header(shape: [1, 784]), ramp(784))
            let two = Self.request(Self.header(shape: [2, 784]), ramp(2 * 784))
            #expect(try decodeOK(decoder, one.body, headers: one.headers).batchSize == 1)
            #expect(try decodeOK(decoder, two.body, headers: two.headers).batchSize == 2)
        }
    }

    @Test func malformedHeadersAreRefusedEveryTimeAndNotKept() {
        let decoder = InferenceRequestDecoder(config: testConfig(dims: [784]))
        let json = Array(#"{"inputs": [{"name": "input", "shape": [1, 784]"#.utf8)
        let body = json + littleEndianBytes(ramp(784))
        for _ in 0..<3 {
            let error = decodeError(decoder, body, headers: ["Inference-Header-Content-Length": String(json.count)])
            #expect(error?.status == 400)
            #expect(error?.message.contains("JSON") == true, "\(error?.message ?? "")")
        }
        #expect(decoder.headerCache.count == 0)
    }

    @Test func theCacheHoldsAtMostItsSlotsAndNoLongHeaders() throws {
        let cache = InferenceHeaderCache(slots: 4)
        for index in 0..<100 {
            let json = Array(#"{"id": "request-\#(index)"}"#.utf8)
            let document = try cache.document(parsing: json[...])
            #expect(try document.rootNode["id"]?.value() == .string("request-\(index)"))
        }
        #expect(cache.count <= 4)

        // Headers that share a slot replace each other; neither is ever read as the other.
        let one = InferenceHeaderCache(slots: 1)
        for round in 0..<6 {
            let id = round % 2 == 0 ? "even" : "odd"
            let document = try one.document(parsing: Array(#"{"id": "\#(id)"}"#.utf8)[...])
            #expect(try document.rootNode["id"]?.value() == .string(id))
        }

        let long = InferenceHeaderCache(slots: 4)
        let padding = String(repeating: " ", count: InferenceHeaderCache.maxHeaderBytes)
        _ = try long.document(parsing: Array(#"{"a": 1}\#(padding)"#.utf8)[...])
        #expect(long.count == 0)
    }

    @Test func threadsShareACachedHeader() async throws {
        let decoder = InferenceRequestDecoder(config: testConfig(dims: [784]))
        let header = Self.header(shape: [1, 784])
        let wrong = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var wrong = 0
                    for round in 0..<50 {
                        let pixels = ramp(784).map { $0 + Float(worker * 100 + round) }
                        let (body, headers) = Self.request(header, pixels)
                        let request = try? decoder.decode(body: body, headers: headers)
                        if request?.input != pixels || request?.outputs.first?.classification != 2 { wrong += 1 }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(wrong == 0)
        #expect(decoder.headerCache.count == 1)
    }
    /// The word-at-a-time hash and the comparison see every byte, wherever the slice starts and
    /// whatever its length's remainder of 8.
    @Test(arguments: [0, 1, 7, 8, 9, 15, 16, 17, 301])
    func everyByteCountsForTheSlotAndTheMatch(length: Int) {
        let bytes = (0..<(length + 3)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        // A span cannot escape into #expect's arguments: the results are taken first.
        func equal(_ a: ArraySlice<UInt8>, _ b: [UInt8]) -> Bool { InferenceHeaderCache.equal(a.span, b.span) }
        func hash(_ a: [UInt8]) -> Int { InferenceHeaderCache.hash(a.span) }
        for start in [0, 3] {
            let slice = bytes[start..<(start + length)]
            let copy = Array(slice)
            let sliceHash = InferenceHeaderCache.hash(slice.span)
            #expect(equal(slice, copy))
            #expect(sliceHash == hash(copy))
            for position in 0..<length {
                var changed = copy
                changed[position] ^= 0x20
                #expect(!equal(slice, changed), "byte \(position)")
                #expect(sliceHash != hash(changed), "byte \(position)")
            }
            #expect(!equal(slice, copy + [0]))
        }
    }
}
