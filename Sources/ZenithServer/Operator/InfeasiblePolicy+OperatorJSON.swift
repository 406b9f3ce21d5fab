import ZenithCore

extension InfeasiblePolicy {
    /// The policy called `name` (`reject` or `best_effort`).
    init(operatorName name: String, path: String) throws(JSONFieldError) {
        guard let policy = InfeasiblePolicy(rawValue: name) else {
            let names = InfeasiblePolicy.allCases.map { "'\($0.rawValue)'" }.joined(separator: " or ")
            throw JSONFieldError("\(path) must be \(names), not '\(name)'")
        }
        self = policy
    }
}
