/// Why a request's targets cannot be served by any machine: the server answers 400.
public enum InvalidTarget: Error, Sendable, Equatable, CustomStringConvertible {
    /// The latency target is zero, negative or not a finite number of milliseconds.
    case latencyNotPositive(Double)
    /// The accuracy target is not a number in 0–1.
    case accuracyOutOfRange(Double)
    /// The accuracy target is above what the model's most accurate plan (normally dense) achieves.
    case accuracyAboveModel(requested: Double, best: Double)
    /// `slo_class` names a class the policy does not define.
    case unknownSLOClass(String)
    /// A request with this id is already queued.
    case duplicateRequestID(RequestID)

    public var description: String {
        switch self {
        case .latencyNotPositive(let value): "latency_target_ms must be a positive number of milliseconds, not \(value)"
        case .accuracyOutOfRange(let value): "accuracy_target must be between 0 and 1, not \(value)"
        case .accuracyAboveModel(let requested, let best):
            "accuracy_target \(requested) is above the model's best expected accuracy \(best)"
        case .unknownSLOClass(let name): "unknown slo_class '\(name)'"
        case .duplicateRequestID(let id): "request \(id) is already queued"
        }
    }
}
