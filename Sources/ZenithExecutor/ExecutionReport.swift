/// What the executor did for one batch.
public struct ExecutionReport: Sendable, Equatable {
    /// Index of the plan run, in the model's plan order.
    public var plan: Int
    /// Per sample: 0 if it ran to the end, else 1 + the index of the branch it left at.
    public var exitBranch: [Int]
    /// Wall time of the whole batch inside the executor.
    public var computeNanoseconds: UInt64
    /// Multiply-adds actually performed for the batch (trunk and branch).
    public var multiplyAdds: Int

    public init(plan: Int, exitBranch: [Int], computeNanoseconds: UInt64, multiplyAdds: Int) {
        self.plan = plan
        self.exitBranch = exitBranch
        self.computeNanoseconds = computeNanoseconds
        self.multiplyAdds = multiplyAdds
    }

    /// Per sample: whether it left at an early-exit branch.
    public var exited: [Bool] { exitBranch.map { $0 > 0 } }
    public var exitCount: Int { exitBranch.reduce(0) { $0 + ($1 > 0 ? 1 : 0) } }
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
