import Foundation
import ZenithCore
package import ZenithGRPC

extension InferenceResponseEncoder {
    /// The gRPC `ModelInferResponse` to `request`, served as `result`: the outputs in
    /// `raw_output_contents` (FP32 logits little-endian; `classification` outputs as BYTES, each
    /// string with its 4-byte length), and in `parameters` what REST reports (see
    /// ``parameters(for:totalNanos:latencyTargetNanos:)``).
    ///
    /// - Parameters:
    ///   - totalNanos: arrival to now, for `total_us`.
    ///   - latencyTargetNanos: arrival to the request's deadline, if it had one.
    package func grpcResponse(
        _ request: InferenceRequest, result: InferenceResult, totalNanos: UInt64, latencyTargetNanos: UInt64? = nil
    ) -> Inference_ModelInferResponse {
        var response = Inference_ModelInferResponse()
        response.modelName = modelName
        response.modelVersion = modelVersion
        if let id = request.id { response.id = id }
        let parameters = Self.parameters(for: result, totalNanos: totalNanos, latencyTargetNanos: latencyTargetNanos)
        for (key, value) in parameters.entries {
            if let parameter = Inference_InferParameter(value) { response.parameters[key] = parameter }
        }
        for requested in request.outputs {
            var tensor = Inference_ModelInferResponse.InferOutputTensor()
            tensor.name = requested.name
            var bytes: [UInt8] = []
            if let k = requested.classification {
                tensor.datatype = DataType.bytes.rawValue
                tensor.shape = [Int64(request.batchSize), Int64(k)]
                Self.appendBytesTensor(classes(k, batchSize: request.batchSize, result: result), to: &bytes)
            } else {
                tensor.datatype = output.datatype.rawValue
                tensor.shape = ([request.batchSize] + output.dims).map(Int64.init)
                Self.appendFloatTensor(result.logits, to: &bytes)
            }
            response.outputs.append(tensor)
            response.rawOutputContents.append(Data(bytes))
        }
        return response
    }
}
