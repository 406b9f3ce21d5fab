import ZenithControl
import ZenithCore
import ZenithJSON

/// The JSON documents that describe a model: KServe v2 metadata and a Triton-style config.
enum ModelMetadata {
    /// `GET /v2/models/{m}`: name, versions, platform, and tensors with the batch dimension as -1.
    static func metadata(_ config: ModelConfig) -> JSONValue {
        func tensor(_ spec: TensorSpec) -> JSONValue {
            [
                "name": .string(spec.name), "datatype": .string(spec.datatype.rawValue),
                "shape": JSONValue([-1] + spec.dims),
            ]
        }
        return [
            "name": .string(config.name),
            "versions": [.string(String(config.version))],
            "platform": "zenith",
            "inputs": .array(config.inputs.map(tensor)),
            "outputs": .array(config.outputs.map(tensor)),
        ]
    }

    /// `GET /v2/models/{m}/config`: Triton's model configuration fields, plus `zenith`: the
    /// scheduling mode, the SLO policy in force and every plan's expected accuracy and predicted time.
    static func config(_ config: ModelConfig, snapshot: SchedulerSnapshot) -> JSONValue {
        func tensor(_ spec: TensorSpec, labels: String?) -> JSONValue {
            var object: JSONObject = [
                "name": .string(spec.name), "data_type": .string("TYPE_" + spec.datatype.rawValue),
                "dims": JSONValue(spec.dims),
            ]
            if let labels { object["label_filename"] = .string(labels) }
            return .object(object)
        }
        let policy = snapshot.policy
        return [
            "name": .string(config.name),
            "platform": "zenith",
            "backend": "zenith",
            "version_policy": ["specific": ["versions": [JSONValue(config.version)]]],
            "max_batch_size": JSONValue(config.maxBatchSize),
            "input": .array(config.inputs.map { tensor($0, labels: nil) }),
            "output": .array(config.outputs.map { tensor($0, labels: config.labelsFile) }),
            "dynamic_batching": [
                "max_queue_delay_microseconds": .int(Int64(clamping: snapshot.maxQueueDelayNanos / 1_000)),
                "default_queue_policy": ["max_queue_size": JSONValue(policy.maxQueueDepth)],
            ],
            "instance_group": [["count": JSONValue(snapshot.workers), "kind": "KIND_CPU"]],
            "zenith": zenith(snapshot),
        ]
    }

    /// The config's `zenith` section: the scheduling mode, the SLO policy in force and every
    /// plan's expected accuracy and predicted time.
    static func zenith(_ snapshot: SchedulerSnapshot) -> JSONValue {
        [
            "scheduling": .string(snapshot.mode.rawValue),
            "max_batch_size": JSONValue(snapshot.maxBatchSize),
            "slo": sloPolicy(snapshot.policy),
            "plans": .array(
                snapshot.plans.map { plan in
                    [
                        "name": .string(plan.name),
                        "expected_accuracy": .double(plan.expectedAccuracy),
                        "predicted_us": [
                            "1": .double(rounded(plan.predictedMicrosBatch1)),
                            String(snapshot.maxBatchSize): .double(rounded(plan.predictedMicrosMaxBatch)),
                        ],
                    ]
                }),
        ]
    }

    static func sloPolicy(_ policy: SLOPolicy) -> JSONValue {
        func targets(_ targets: SLOTargets) -> JSONValue {
            var object = JSONObject()
            if let latency = targets.latencyTargetMs { object["latency_target_ms"] = .double(latency) }
            if let accuracy = targets.accuracyTarget { object["accuracy_target"] = .double(accuracy) }
            return .object(object)
        }
        var object: JSONObject = ["policy": .string(policy.infeasiblePolicy.rawValue)]
        for (key, value) in targets(policy.modelDefaults).objectValue?.entries ?? [] { object[key] = value }
        object["classes"] = .object(
            JSONObject(policy.classTargets.sorted { $0.key < $1.key }.map { ($0.key, targets($0.value)) }))
        object["max_queue_depth"] = JSONValue(policy.maxQueueDepth)
        return .object(object)
    }

    private static func rounded(_ micros: Double) -> Double { (micros * 10).rounded() / 10 }
}
