import Foundation
import Testing
import ZenithJSON
import ZenithLoad

@Suite struct CapacityFileTests {
    private let measured = CapacityResult(
        requestsPerSecond: 450, answered: 4500, failed: 0, concurrency: 256, connections: 16, durationSeconds: 10,
        warmupSeconds: 2, imagesPerRequest: 8)

    @Test func aFileIsReadBackForTheSameRequestSize() throws {
        let json = measured.fileJSON(model: "fashion-cnn")
        #expect(json["images_per_request"]?.intValue == 8)
        #expect(json["images_per_second"]?.doubleValue == 3600)
        let given = try CapacityResult.given(file: json, source: "cap.json", model: "fashion-cnn", imagesPerRequest: 8)
        #expect(given.requestsPerSecond == 450)
        #expect(given.imagesPerRequest == 8)
        #expect(given.source == "given")
        #expect(given.method.contains("8 images kept outstanding"))
    }

    @Test func aFileMeasuredWithAnotherRequestSizeIsRefused() throws {
        let json = measured.fileJSON(model: "fashion-cnn")
        #expect {
            try CapacityResult.given(file: json, source: "cap.json", model: "fashion-cnn", imagesPerRequest: 1)
        } throws: { error in
            let message = (error as? CapacityFileError)?.message ?? ""
            return message.hasPrefix("cap.json was measured with 8 image(s) per request, but this run sends 1")
                && message.contains("--images-per-request 1")
        }
        // A file from before images_per_request was measured with one image per request.
        let old: JSONValue = ["model": "fashion-cnn", "requests_per_second": 3000.0, "method": "closed loop"]
        #expect(throws: CapacityFileError.self) {
            try CapacityResult.given(file: old, source: "old.json", model: "fashion-cnn", imagesPerRequest: 8)
        }
        #expect(try CapacityResult.given(file: old, source: "old.json", model: "fashion-cnn", imagesPerRequest: 1).requestsPerSecond == 3000)
    }

    @Test func aFileOfAnotherModelOrWithoutARateIsRefused() {
        let json = measured.fileJSON(model: "fashion-mlp")
        #expect(throws: CapacityFileError("cap.json is the capacity of fashion-mlp, but the scenario's model is fashion-cnn")) {
            try CapacityResult.given(file: json, source: "cap.json", model: "fashion-cnn", imagesPerRequest: 8)
        }
        #expect(throws: CapacityFileError("x.json has no positive requests_per_second")) {
            try CapacityResult.given(file: ["requests_per_second": 0.0], source: "x.json", model: "m", imagesPerRequest: 1)
        }
    }

    @Test func theFileOnDiskRoundTrips() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("capacity-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try measured.fileJSON(model: "fashion-cnn").serialized(pretty: true).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try CapacityResult.given(capacityFile: path, model: "fashion-cnn", imagesPerRequest: 8).requestsPerSecond == 450)
        #expect(throws: CapacityFileError.self) {
            try CapacityResult.given(capacityFile: path, model: "fashion-cnn", imagesPerRequest: 4)
        }
        #expect(throws: CapacityFileError.self) {
            try CapacityResult.given(capacityFile: path + ".missing", model: "fashion-cnn", imagesPerRequest: 8)
        }
    }
}
