import Foundation
package import ZenithGRPC
package import ZenithHTTP

extension InferenceRequestDecoder {
    /// Decodes a gRPC `ModelInferRequest` for this model, with REST's checks and messages: the
    /// input's name, datatype (FP32), shape `[batch, ...dims]` and finite values, the outputs'
    /// names and `classification`, and the SLO parameters read from `parameters` (then the
    /// `zenith-*` metadata) exactly as from a REST request's.
    ///
    /// The input's values come from `raw_input_contents` (little-endian, one entry per input)
    /// or from `contents.fp32_contents`. Every output is sent when none is named.
    ///
    /// - Parameters:
    ///   - message: the request; its `model_name` chose this decoder.
    ///   - headers: the call's metadata.
    ///   - deadlineMs: the call's `grpc-timeout` in milliseconds: the latency target when the
    ///     request names neither `latency_target_ms` nor an `slo_class`.
    package func decode(
        _ message: Inference_ModelInferRequest, headers: HTTPHeaderList, deadlineMs: Double?
    ) throws(RequestError) -> InferenceRequest {
        var slo = try SLOParameters.requested(headers: headers) { message.parameters[$0]?.jsonValue }
        if slo.latencyTargetMs == nil, slo.sloClass == nil, let deadlineMs {
            slo.latencyTargetMs = deadlineMs
        }

        guard !message.inputs.isEmpty else {
            throw .badRequest("inputs is empty; model '\(modelName)' takes '\(input.name)'")
        }
        let raw = message.rawInputContents
        guard raw.isEmpty || raw.count == message.inputs.count else {
            throw .badRequest(
                "raw_input_contents has \(raw.count) entries for \(message.inputs.count) inputs; send one per input")
        }
        var decoded: (batch: Int, floats: [Float])?
        for (index, tensor) in message.inputs.enumerated() {
            try checkInputName(tensor.name)
            guard decoded == nil else { throw .badRequest("input '\(input.name)' is given more than once") }
            try checkInputDatatype(tensor.datatype, name: tensor.name)
            let batch = try batchSize(shapeCount: tensor.shape.count, name: tensor.name) {
                Int(exactly: tensor.shape[$0])
            }
            try checkNoSharedMemory(Self.sharedMemoryKey(tensor.parameters), tensor: "input '\(tensor.name)'")
            decoded = (batch, try floats(of: tensor, raw: raw.isEmpty ? nil : raw[index], batch: batch))
        }
        guard let decoded else { throw .badRequest("input '\(input.name)' is missing") }

        var outputs: [RequestedOutput] = []
        for tensor in message.outputs {
            try checkNoSharedMemory(Self.sharedMemoryKey(tensor.parameters), tensor: "output '\(tensor.name)'")
            var classification: Int64?
            if let parameter = tensor.parameters["classification"] {
                guard let k = parameter.int64Value else {
                    throw .badRequest("output '\(tensor.name)': classification must be a non-negative integer")
                }
                classification = k
            }
            outputs.append(
                try requestedOutput(name: tensor.name, binary: true, classification: classification, after: outputs))
        }
        if outputs.isEmpty { outputs = self.outputs.map { RequestedOutput(name: $0.name, binary: true) } }
        return InferenceRequest(
            id: message.id.isEmpty ? nil : message.id, batchSize: decoded.batch, input: decoded.floats,
            outputs: outputs, slo: slo)
    }

    /// The input's `batch × elements` values, from its raw entry or its typed contents.
    private func floats(
        of tensor: Inference_ModelInferRequest.InferInputTensor, raw: Data?, batch: Int
    ) throws(RequestError) -> [Float] {
        let name = tensor.name
        let count = batch * input.elementCount
        if let raw {
            guard !tensor.hasContents else {
                throw .badRequest("input '\(name)' has both contents and raw_input_contents")
            }
            guard raw.count == count * 4 else {
                throw .badRequest(
                    "input '\(name)': raw_input_contents has \(raw.count) bytes but shape \(shapeText(batch)) of FP32 needs \(count * 4)"
                )
            }
            var binary = BinaryTensors(bytes: ArraySlice(raw))
            switch binary.takeFloats(count: count) {
            case .success(let floats): return floats
            case .failure(let bad):
                throw .badRequest("input '\(name)': element \(bad.index) is \(bad.value); inputs must be finite")
            }
        }
        let contents = tensor.contents
        if let other = Self.nonFP32Contents(contents) {
            throw .badRequest("input '\(name)': contents.\(other) is given; an FP32 input takes contents.fp32_contents")
        }
        let floats = contents.fp32Contents
        guard !floats.isEmpty || count == 0 else {
            throw .badRequest("input '\(name)' has neither contents.fp32_contents nor raw_input_contents")
        }
        guard floats.count == count else {
            throw .badRequest(
                "input '\(name)': contents.fp32_contents has \(floats.count) elements but shape \(shapeText(batch)) needs \(count)"
            )
        }
        if let index = floats.firstIndex(where: { !$0.isFinite }) {
            throw .badRequest("input '\(name)': element \(index) is \(floats[index]); inputs must be finite")
        }
        return floats
    }

    /// The first (by name) of a tensor's parameters that names a shared-memory region, if any.
    private static func sharedMemoryKey(_ parameters: [String: Inference_InferParameter]) -> String? {
        parameters.keys.filter { $0.hasPrefix("shared_memory") }.min()
    }

    /// The first typed contents field other than `fp32_contents` that holds values.
    private static func nonFP32Contents(_ contents: Inference_InferTensorContents) -> String? {
        if !contents.boolContents.isEmpty { return "bool_contents" }
        if !contents.intContents.isEmpty { return "int_contents" }
        if !contents.int64Contents.isEmpty { return "int64_contents" }
        if !contents.uintContents.isEmpty { return "uint_contents" }
        if !contents.uint64Contents.isEmpty { return "uint64_contents" }
        if !contents.fp64Contents.isEmpty { return "fp64_contents" }
        if !contents.bytesContents.isEmpty { return "bytes_contents" }
        return nil
    }
}
