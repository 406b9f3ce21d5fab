import Foundation
public import ZenithJSON

extension CapacityResult {
    /// The JSON `zenith-load capacity --json` writes: `model`, `requests_per_second`,
    /// `images_per_request`, `images_per_second`, `method`, `answered`, `failed`.
    ///
    /// - Parameter model: the model measured.
    public func fileJSON(model: String) -> JSONValue {
        [
            "model": .string(model), "requests_per_second": .double(requestsPerSecond),
            "images_per_request": JSONValue(imagesPerRequest), "images_per_second": .double(imagesPerSecond),
            "method": .string(method), "answered": JSONValue(answered), "failed": JSONValue(failed),
        ]
    }

    /// A capacity read back from `fileJSON(model:)`, for a run of `model` sending
    /// `imagesPerRequest` images per request.
    ///
    /// A capacity in requests per second holds only for requests of the size it was measured
    /// with, so a file of another size (a file without `images_per_request` was measured with
    /// one image) or of another model is refused rather than silently scaling the run wrongly.
    ///
    /// - Parameters:
    ///   - json: the file's content.
    ///   - source: the file's name, for messages.
    ///   - model: the scenario's model.
    ///   - imagesPerRequest: the run's images per request.
    /// - Throws: `CapacityFileError` naming the file and what does not match.
    public static func given(
        file json: JSONValue, source: String, model: String, imagesPerRequest: Int
    ) throws(CapacityFileError) -> CapacityResult {
        guard let rate = json["requests_per_second"]?.doubleValue, rate > 0, rate.isFinite else {
            throw CapacityFileError("\(source) has no positive requests_per_second")
        }
        if let measuredModel = json["model"]?.stringValue, measuredModel != model {
            throw CapacityFileError("\(source) is the capacity of \(measuredModel), but the scenario's model is \(model)")
        }
        let measuredImages = json["images_per_request"]?.intValue ?? 1
        guard measuredImages == imagesPerRequest else {
            throw CapacityFileError(
                "\(source) was measured with \(measuredImages) image(s) per request, but this run sends "
                    + "\(imagesPerRequest): a request's cost depends on its size, so the rates would be wrong. "
                    + "Measure again with `zenith-load capacity --model \(model) --images-per-request \(imagesPerRequest) "
                    + "--json \(source)`, or run with --images-per-request \(measuredImages)")
        }
        return .given(rate, imagesPerRequest: measuredImages, method: json["method"]?.stringValue)
    }

    /// `given(file:source:model:imagesPerRequest:)` on the file at `path`.
    ///
    /// - Throws: `CapacityFileError` when the file cannot be read, is not JSON, or does not match.
    public static func given(
        capacityFile path: String, model: String, imagesPerRequest: Int
    ) throws(CapacityFileError) -> CapacityResult {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CapacityFileError("\(path): cannot read the file")
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: [UInt8](data))
        } catch {
            throw CapacityFileError("\(path): invalid JSON: \(error)")
        }
        return try given(file: json, source: path, model: model, imagesPerRequest: imagesPerRequest)
    }
}
