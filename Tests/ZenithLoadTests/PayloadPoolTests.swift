import Testing
import ZenithData
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
        for encoding in PayloadEncoding.allCases {
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
