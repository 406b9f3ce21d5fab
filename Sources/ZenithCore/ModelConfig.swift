/// A model's `config.json`: its interface, network, plans and defaults (Models/FORMAT.md).
public struct ModelConfig: Sendable, Equatable {
    public var name: String
    public var version: Int
    public var maxBatchSize: Int
    public var labelsFile: String?
    public var inputs: [TensorSpec]
    public var outputs: [TensorSpec]
    public var graph: GraphSpec
    /// Ordered from dense to the cheapest; the first is always dense.
    public var plans: [PlanSpec]
    public var sloDefaults: SLOTargets
    /// Start-up targets of named SLO classes (`slo.classes`); the operator API can change them.
    public var sloClasses: [String: SLOTargets]
    public var infeasiblePolicy: InfeasiblePolicy
    public var batching: BatchingSpec
    /// The Fashion-MNIST split a legacy model was tuned on; `nil` for a model whose labelled
    /// data comes as an `.npz` (`--data`).
    public var validation: ValidationSplit?

    public init(
        name: String, version: Int, maxBatchSize: Int, labelsFile: String?,
        inputs: [TensorSpec], outputs: [TensorSpec], graph: GraphSpec, plans: [PlanSpec],
        sloDefaults: SLOTargets, infeasiblePolicy: InfeasiblePolicy, batching: BatchingSpec,
        validation: ValidationSplit?, sloClasses: [String: SLOTargets] = [:]
    ) {
        self.name = name
        self.version = version
        self.maxBatchSize = maxBatchSize
        self.labelsFile = labelsFile
        self.inputs = inputs
        self.outputs = outputs
        self.graph = graph
        self.plans = plans
        self.sloDefaults = sloDefaults
        self.sloClasses = sloClasses
        self.infeasiblePolicy = infeasiblePolicy
        self.batching = batching
        self.validation = validation
    }
}

/// Dynamic batching limits of a model.
public struct BatchingSpec: Sendable, Equatable {
    public var maxBatchSize: Int
    public var maxQueueDelayMicroseconds: Int

    public init(maxBatchSize: Int, maxQueueDelayMicroseconds: Int) {
        self.maxBatchSize = maxBatchSize
        self.maxQueueDelayMicroseconds = maxQueueDelayMicroseconds
    }
}

/// Which labelled images the plans were tuned on: `count` images of `source` from `start`.
public struct ValidationSplit: Sendable, Equatable {
    public var source: String
    public var start: Int
    public var count: Int

    public init(source: String, start: Int, count: Int) {
        self.source = source
        self.start = start
        self.count = count
    }
}
