import Foundation
import ZenithJSON

/// Reads what `zenith profile` wrote for a model: `Profiles/<model>/accuracy.json` and
/// `latency.json` (see `Profiler` for the format).
struct ProfileStore {
    /// The folder holding one subfolder per model.
    var directory: String

    /// Expected accuracy by plan name; `nil` when the file does not exist.
    func accuracy(model: String) throws(ProfileFileError) -> [String: Double]? {
        guard let plans = try plans(model: model, file: "accuracy.json") else { return nil }
        var accuracy: [String: Double] = [:]
        for (index, plan) in plans.enumerated() {
            guard let name = plan["name"]?.stringValue, let value = plan["accuracy"]?.doubleValue else {
                throw ProfileFileError(
                    file: path(model, "accuracy.json"), reason: "plans[\(index)] needs a name and an accuracy")
            }
            accuracy[name] = value
        }
        return accuracy
    }

    /// Mean microseconds by plan name and batch size; `nil` when the file does not exist.
    func latencyMicros(model: String) throws(ProfileFileError) -> [String: [Int: Double]]? {
        guard let plans = try plans(model: model, file: "latency.json") else { return nil }
        var latency: [String: [Int: Double]] = [:]
        for (index, plan) in plans.enumerated() {
            guard let name = plan["name"]?.stringValue, let cells = plan["latency_us"]?.objectValue else {
                throw ProfileFileError(
                    file: path(model, "latency.json"), reason: "plans[\(index)] needs a name and latency_us")
            }
            var points: [Int: Double] = [:]
            for (batch, cell) in cells.entries {
                guard let size = Int(batch), let mean = cell["mean"]?.doubleValue else {
                    throw ProfileFileError(
                        file: path(model, "latency.json"), reason: "plans[\(index)].latency_us.\(batch) needs a mean")
                }
                points[size] = mean
            }
            latency[name] = points
        }
        return latency
    }

    private func plans(model: String, file: String) throws(ProfileFileError) -> [JSONValue]? {
        let path = path(model, file)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: [UInt8](data))
        } catch {
            throw ProfileFileError(file: path, reason: "not valid JSON: \(error)")
        }
        guard let plans = json["plans"]?.arrayValue else {
            throw ProfileFileError(file: path, reason: "plans is missing")
        }
        return plans
    }

    private func path(_ model: String, _ file: String) -> String { "\(directory)/\(model)/\(file)" }
}

/// A profile file that exists but cannot be used.
struct ProfileFileError: Error, CustomStringConvertible {
    var file: String
    var reason: String
    var description: String { "\(file): \(reason)" }
}
