import ZenithCore
import ZenithJSON

/// `GET /v2`: the server's name, version and the protocol extensions it implements.
enum ServerMetadata {
    static let name = "zenith"
    static let version = ZenithVersion.string
    /// `slo` is the operator API (its own listener; both listeners list it).
    static let extensions = ["binary_tensor_data", "classification", "model_repository", "slo", "statistics"]

    static var json: JSONValue {
        ["name": .string(name), "version": .string(version), "extensions": JSONValue(extensions)]
    }
}
