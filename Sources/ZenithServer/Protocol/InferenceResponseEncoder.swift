public import ZenithCore
public import ZenithHTTP
public import ZenithJSON

/// Writes inference responses in the Open Inference Protocol shape:
/// `{"model_name", "model_version", "id", "parameters", "outputs": [{"name", "datatype", "shape", "data"}]}`.
///
/// Outputs the request asked for in binary get `parameters.binary_data_size` instead of `data` and
/// follow the JSON header in the body, whose length is the `Inference-Header-Content-Length`
/// response header (Triton's binary tensor extension). `parameters` reports what the server did:
/// `plan`, `exited`, `queue_us`, `compute_us`, `total_us`, `expected_accuracy`, `slo_met`,
/// `best_effort`, `latency_target_ms`; see `parameters(for:totalNanos:latencyTargetNanos:)`.
public struct InferenceResponseEncoder: Sendable {
    public let modelName: String
    public let modelVersion: String
    public let output: TensorSpec
    public let labels: [String]

    /// - Parameters:
    ///   - config: the model; its first output carries the logits.
    ///   - labels: class names for classification strings.
    public init(config: ModelConfig, labels: [String]) {
        modelName = config.name
        modelVersion = String(config.version)
        output = config.outputs[0]
        self.labels = labels
    }

    /// The response to `request`, served as `result`.
    /// - Parameters:
    ///   - totalNanos: arrival to now, for `total_us`.
    ///   - latencyTargetNanos: arrival to the deadline the request was judged against, for
    ///     `latency_target_ms`; `nil` when it had none.
    public func encode(
        _ request: InferenceRequest, result: InferenceResult, totalNanos: UInt64, latencyTargetNanos: UInt64? = nil
    ) -> HTTPResponse {
        // Written as it goes rather than built as a tree of values first: the tree's arrays,
        // objects and entries would be allocations made for every answer only to be walked once.
        var binary: [UInt8] = []
        var json = JSONWriter()
        json.beginObject()
        json.key("model_name")
        json.string(modelName)
        json.key("model_version")
        json.string(modelVersion)
        if let id = request.id {
            json.key("id")
            json.string(id)
        }
        json.key("parameters")
        json.value(
            .object(Self.parameters(for: result, totalNanos: totalNanos, latencyTargetNanos: latencyTargetNanos)))
        json.key("outputs")
        json.beginArray()
        for requested in request.outputs {
            json.beginObject()
            json.key("name")
            json.string(requested.name)
            var binarySize: Int?
            if let k = requested.classification {
                let strings = classes(k, batchSize: request.batchSize, result: result)
                json.key("datatype")
                json.string(DataType.bytes.rawValue)
                Self.writeShape(batch: request.batchSize, [k], to: &json)
                if requested.binary {
                    let start = binary.count
                    Self.appendBytesTensor(strings, to: &binary)
                    binarySize = binary.count - start
                } else {
                    json.key("data")
                    json.beginArray()
                    for string in strings { json.string(string) }
                    json.endArray()
                }
            } else {
                json.key("datatype")
                json.string(output.datatype.rawValue)
                Self.writeShape(batch: request.batchSize, output.dims, to: &json)
                if requested.binary {
                    Self.appendFloatTensor(result.logits, to: &binary)
                    binarySize = result.logits.count * 4
                } else {
                    json.key("data")
                    json.beginArray()
                    for value in result.logits { json.double(Double(value)) }
                    json.endArray()
                }
            }
            if let binarySize {
                json.key("parameters")
                json.beginObject()
                json.key("binary_data_size")
                json.int(binarySize)
                json.endObject()
            }
            json.endObject()
        }
        json.endArray()
        json.endObject()
        let header = json.bytes
        guard !binary.isEmpty || request.outputs.contains(where: \.binary) else {
            return HTTPResponse(status: 200, headers: ["content-type": "application/json"], body: header)
        }
        return HTTPResponse(
            status: 200,
            headers: [
                "content-type": "application/octet-stream",
                InferenceRequestDecoder.headerLengthField: String(header.count),
            ],
            body: header + binary)
    }

    /// The response `parameters`: what was done for the request.
    ///
    /// For a request of several samples: `plan` and `expected_accuracy` are the least accurate
    /// plan's (with `plans`, per sample, when they differ), `exited` is true when every sample
    /// exited early (`exits` counts them), `queue_us` is the longest wait, `compute_us` sums the
    /// batches that served it, `slo_met` needs every sample, `best_effort` any.
    /// `latency_target_ms` is the target it was judged against (from the request, its class,
    /// the model's default, Triton's `timeout` or gRPC's `grpc-timeout`), when it had one.
    public static func parameters(
        for result: InferenceResult, totalNanos: UInt64, latencyTargetNanos: UInt64? = nil
    ) -> JSONObject {
        let weakest = result.weakestSample
        var parameters: JSONObject = [
            "plan": .string(weakest?.plan ?? ""),
            "exited": .bool(!result.samples.isEmpty && result.samples.allSatisfy(\.exited)),
            "queue_us": .double(micros(result.queueNanos)),
            "compute_us": .double(micros(result.computeNanos)),
            "total_us": .double(micros(totalNanos)),
            "expected_accuracy": .double(weakest?.expectedAccuracy ?? 0),
            "slo_met": .bool(result.sloMet),
            "best_effort": .bool(result.samples.contains(where: \.bestEffort)),
        ]
        if let latencyTargetNanos { parameters["latency_target_ms"] = .double(Double(latencyTargetNanos) / 1_000_000) }
        if result.samples.count > 1 {
            parameters["exits"] = JSONValue(result.samples.count(where: \.exited))
            if Set(result.samples.map(\.plan)).count > 1 { parameters["plans"] = JSONValue(result.samples.map(\.plan)) }
        }
        return parameters
    }

    /// `"shape": [batch, dims...]`.
    private static func writeShape(batch: Int, _ dims: [Int], to json: inout JSONWriter) {
        json.key("shape")
        json.beginArray()
        json.int(batch)
        for dim in dims { json.int(dim) }
        json.endArray()
    }

    /// Microseconds with nanosecond resolution kept (three decimals).
    static func micros(_ nanos: UInt64) -> Double { Double(nanos) / 1_000 }

    // MARK: Tensors every protocol sends

    /// The top `k` classes of each sample as `"score:index:label"` strings, sample-major.
    func classes(_ k: Int, batchSize: Int, result: InferenceResult) -> [String] {
        let classes = output.elementCount
        return (0..<batchSize).flatMap { sample in
            Classification.topK(result.logits[(sample * classes)..<((sample + 1) * classes)], k: k, labels: labels)
        }
    }

    /// Appends FP32 values as the binary tensor extension and gRPC's raw contents carry them:
    /// little-endian, back to back.
    static func appendFloatTensor(_ values: [Float], to bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + values.count * 4)
        for value in values { appendLittleEndian(value.bitPattern, to: &bytes) }
    }

    /// Appends BYTES elements as the binary tensor extension and gRPC's raw contents carry them:
    /// each a 4-byte little-endian length, then its bytes.
    static func appendBytesTensor(_ strings: [String], to bytes: inout [UInt8]) {
        for string in strings {
            appendLittleEndian(UInt32(string.utf8.count), to: &bytes)
            bytes.append(contentsOf: string.utf8)
        }
    }
}

private func appendLittleEndian(_ value: UInt32, to bytes: inout [UInt8]) {
    bytes.append(UInt8(truncatingIfNeeded: value))
    bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    bytes.append(UInt8(truncatingIfNeeded: value >> 16))
    bytes.append(UInt8(truncatingIfNeeded: value >> 24))
}
