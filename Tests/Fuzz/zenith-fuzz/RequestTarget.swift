import ZenithCore
import ZenithHTTP
import ZenithServer

/// The body of `POST /v2/models/{m}/infer` and the headers it depends on, through
/// `InferenceRequestDecoder` (JSON, and a JSON header followed by binary tensors); a request that
/// decodes is then encoded back as a response, with every output asked for.
///
/// Input: optional header lines `name: value` and a blank line, then the body. Without a blank
/// line the whole input is the body. The model is small (input `[batch, 2, 2]`, batch at most 4,
/// 3 classes) so that valid tensors are within a mutation's reach.
struct RequestTarget: FuzzTarget {
    static let name = "request"

    let config: ModelConfig
    let decoder: InferenceRequestDecoder
    let encoder: InferenceResponseEncoder

    init() {
        config = ModelConfig(
            name: "fuzz", version: 1, maxBatchSize: 4, labelsFile: nil,
            inputs: [TensorSpec(name: "input", datatype: .fp32, dims: [2, 2])],
            outputs: [TensorSpec(name: "logits", datatype: .fp32, dims: [3])],
            graph: GraphSpec(input: "input", output: "logits", nodes: []), plans: [PlanSpec(name: "dense")],
            sloDefaults: SLOTargets(latencyTargetMs: 10, accuracyTarget: 0.9), infeasiblePolicy: .reject,
            batching: BatchingSpec(maxBatchSize: 4, maxQueueDelayMicroseconds: 500), validation: nil)
        decoder = InferenceRequestDecoder(config: config)
        encoder = InferenceResponseEncoder(config: config, labels: ["a", "b", "c"])
    }

    func run(_ input: [UInt8]) {
        let (headers, body) = Self.split(input)
        guard let request = try? decoder.decode(body: body, headers: headers) else { return }
        let classes = config.outputs[0].dims[0]
        let logits = (0..<(request.batchSize * classes)).map { request.input[$0 % request.input.count] }
        let sample = SampleReport(
            plan: "dense", expectedAccuracy: 0.9, exited: false, queueNanos: 1, computeNanos: 2,
            batchSize: request.batchSize, batch: 1, sloMet: true, bestEffort: false)
        let result = InferenceResult(logits: logits, samples: Array(repeating: sample, count: request.batchSize))
        _ = encoder.encode(request, result: result, totalNanos: 3, latencyTargetNanos: 4)
    }

    /// Header lines up to the first blank line, and the body after it.
    static func split(_ input: [UInt8]) -> (HTTPHeaderList, [UInt8]) {
        let newline = UInt8(ascii: "\n")
        guard let end = input.indices.dropLast().first(where: { input[$0] == newline && input[$0 + 1] == newline })
        else { return ([:], input) }
        var headers = HTTPHeaderList()
        for line in input[..<end].split(separator: newline) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self)
            headers.append(name: name, value: String(value.drop { $0 == " " }))
        }
        return (headers, Array(input[(end + 2)...]))
    }
}
