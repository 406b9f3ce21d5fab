import ZenithCore
import ZenithGRPC
import ZenithJSON

/// The documents that describe models and the server, as gRPC messages carrying what REST's JSON
/// carries (ModelMetadata.swift, ServerMetadata.swift, ModelStatistics.swift).
extension ModelMetadata {
    /// `ModelMetadata`: name, versions, platform, and tensors with the batch dimension as -1.
    static func grpcMetadata(_ config: ModelConfig) -> Inference_ModelMetadataResponse {
        func tensor(_ spec: TensorSpec) -> Inference_ModelMetadataResponse.TensorMetadata {
            var tensor = Inference_ModelMetadataResponse.TensorMetadata()
            tensor.name = spec.name
            tensor.datatype = spec.datatype.rawValue
            tensor.shape = ([-1] + spec.dims).map(Int64.init)
            return tensor
        }
        var response = Inference_ModelMetadataResponse()
        response.name = config.name
        response.versions = [String(config.version)]
        response.platform = "zenith"
        response.inputs = config.inputs.map(tensor)
        response.outputs = config.outputs.map(tensor)
        return response
    }

    /// `ModelConfig`: Triton's fields REST's config has (name, platform and backend, version
    /// policy, max_batch_size, inputs and outputs with data_type and dims, dynamic batching,
    /// instance group), and REST's `zenith` section as JSON in `parameters["zenith"]`.
    static func grpcConfig(_ config: ModelConfig, snapshot: SchedulerSnapshot) -> Inference_ModelConfig {
        var model = Inference_ModelConfig()
        model.name = config.name
        model.platform = "zenith"
        model.backend = "zenith"
        var specific = Inference_ModelVersionPolicy.Specific()
        specific.versions = [Int64(config.version)]
        model.versionPolicy.specific = specific
        model.maxBatchSize = Int32(clamping: config.maxBatchSize)
        model.input = config.inputs.map { spec in
            var input = Inference_ModelInput()
            input.name = spec.name
            input.dataType = Inference_DataType(spec.datatype)
            input.dims = spec.dims.map(Int64.init)
            return input
        }
        model.output = config.outputs.map { spec in
            var output = Inference_ModelOutput()
            output.name = spec.name
            output.dataType = Inference_DataType(spec.datatype)
            output.dims = spec.dims.map(Int64.init)
            if let labels = config.labelsFile { output.labelFilename = labels }
            return output
        }
        var batching = Inference_ModelDynamicBatching()
        batching.maxQueueDelayMicroseconds = snapshot.maxQueueDelayNanos / 1_000
        batching.defaultQueuePolicy.maxQueueSize = UInt32(clamping: snapshot.policy.maxQueueDepth)
        model.dynamicBatching = batching
        var group = Inference_ModelInstanceGroup()
        group.kind = .cpu
        group.count = Int32(clamping: snapshot.workers)
        model.instanceGroup = [group]
        var section = Inference_ModelParameter()
        section.stringValue = zenith(snapshot).serialized()
        model.parameters["zenith"] = section
        return model
    }
}

extension Inference_DataType {
    /// Triton's `TYPE_*` for a tensor datatype of the inference protocol.
    init(_ type: DataType) {
        switch type {
        case .bool: self = .typeBool
        case .uint8: self = .typeUint8
        case .uint16: self = .typeUint16
        case .uint32: self = .typeUint32
        case .uint64: self = .typeUint64
        case .int8: self = .typeInt8
        case .int16: self = .typeInt16
        case .int32: self = .typeInt32
        case .int64: self = .typeInt64
        case .fp16: self = .typeFp16
        case .fp32: self = .typeFp32
        case .fp64: self = .typeFp64
        case .bytes: self = .typeString
        }
    }
}

extension ServerMetadata {
    static var grpc: Inference_ServerMetadataResponse {
        var response = Inference_ServerMetadataResponse()
        response.name = name
        response.version = version
        response.extensions = extensions
        return response
    }
}

extension ModelStatistics {
    /// The `model_stats` entry of this model in Triton's `ModelStatistics` message; Zenith's own
    /// section (plan mix, SLO attainment, rejects) is REST's only.
    func grpc(name: String, version: String) -> Inference_ModelStatistics {
        func duration(_ duration: Duration) -> Inference_StatisticDuration {
            var message = Inference_StatisticDuration()
            message.count = UInt64(duration.count)
            message.ns = duration.nanos
            return message
        }
        let counts = snapshot()
        var statistics = Inference_ModelStatistics()
        statistics.name = name
        statistics.version = version
        statistics.lastInference = UInt64(clamping: counts.lastInferenceMillis)
        statistics.inferenceCount = UInt64(counts.inferenceCount)
        statistics.executionCount = UInt64(counts.executionCount)
        statistics.inferenceStats.success = duration(counts.success)
        statistics.inferenceStats.fail = duration(counts.fail)
        statistics.inferenceStats.queue = duration(counts.queue)
        statistics.inferenceStats.computeInput = duration(Duration())
        statistics.inferenceStats.computeInfer = duration(counts.computeInfer)
        statistics.inferenceStats.computeOutput = duration(Duration())
        statistics.batchStats = counts.batches.sorted { $0.key < $1.key }.map { size, compute in
            var batch = Inference_InferBatchStatistics()
            batch.batchSize = UInt64(size)
            batch.computeInfer = duration(compute)
            return batch
        }
        return statistics
    }
}

extension ModelRepository.IndexEntry {
    /// A row of `RepositoryIndex`, as REST's.
    var grpc: Inference_RepositoryIndexResponse.ModelIndex {
        var row = Inference_RepositoryIndexResponse.ModelIndex()
        row.name = name
        if let version { row.version = version }
        row.state = state.rawValue
        if let reason { row.reason = reason }
        return row
    }
}
