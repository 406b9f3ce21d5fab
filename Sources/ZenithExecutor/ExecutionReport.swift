/// What the executor did for one batch.
public struct ExecutionReport: Sendable, Equatable {
    /// Index of the plan run, in the model's plan order.
    public var plan: Int
    /// Per sample: whether it left at the early-exit branch.
    public var exited: [Bool]
    /// Wall time of the whole batch inside the executor.
    public var computeNanoseconds: UInt64
    /// Multiply-adds actually performed for the batch (trunk and branch).
    public var multiplyAdds: Int

    public var exitCount: Int { exited.reduce(0) { $0 + ($1 ? 1 : 0) } }
}

/// Why a batch could not be run; raised before any compute.
public enum ExecutorError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownPlan(Int)
    case batchSize(Int, max: Int)
    case inputSize(got: Int, expected: Int)

    public var description: String {
        switch self {
        case .unknownPlan(let p): "no plan with index \(p)"
        case .batchSize(let b, let max): "batch size \(b) is outside 1...\(max)"
        case .inputSize(let got, let expected): "input has \(got) floats, expected \(expected)"
        }
    }
}
