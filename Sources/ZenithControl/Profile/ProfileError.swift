/// Why a `ModelProfile` could not be built.
public enum ProfileError: Error, Sendable, Equatable, CustomStringConvertible {
    case noPlans
    case duplicatePlan(String)
    case missingPlan(String)
    case accuracyOutOfRange(plan: String, Double)
    case noLatency(plan: String)
    case invalidLatency(plan: String, batch: Int, Double)

    public var description: String {
        switch self {
        case .noPlans: "a model needs at least one plan"
        case .duplicatePlan(let name): "plan '\(name)' is listed twice"
        case .missingPlan(let name): "plan '\(name)' has no accuracy profile"
        case .accuracyOutOfRange(let name, let value): "plan '\(name)': accuracy \(value) is not in 0–1"
        case .noLatency(let name): "plan '\(name)' has no latency profile"
        case .invalidLatency(let name, let batch, let value):
            "plan '\(name)': latency \(value) µs at batch size \(batch) is not usable"
        }
    }
}
