public import ZenithCore
public import ZenithHTTP
import ZenithJSON

/// Decodes the body of `POST /v2/models/{m}/infer` for one model: a JSON inference request, or a
/// JSON header followed by binary tensors (Triton's binary tensor extension, as tritonclient
/// sends it by default).
///
/// Everything a client can get wrong is a `RequestError` 400 naming the field, checked before any
/// memory proportional to a claimed size is spent. Inputs must be FP32 with shape
/// `[batch, ...dims]`, `1 <= batch <= max_batch_size`, and finite.
public struct InferenceRequestDecoder: Sendable {
    public static let headerLengthField = "inference-header-content-length"

    public let modelName: String
    public let input: TensorSpec
    public let outputs: [TensorSpec]
    public let maxBatchSize: Int
    /// Classes of the classification output (the last dimension of the first output).
    public let classCount: Int
    /// JSON headers seen recently, parsed.
    let headerCache = InferenceHeaderCache()

    /// - Parameter config: the model; it has exactly one input, as `Model` requires.
    public init(config: ModelConfig) {
        modelName = config.name
        input = config.inputs[0]
        outputs = config.outputs
        maxBatchSize = config.maxBatchSize
        classCount = config.outputs.first?.dims.last ?? 0
    }

    /// Decodes a request body.
    ///
    /// - Parameters:
    ///   - body: the HTTP body.
    ///   - headers: the HTTP headers (`Inference-Header-Content-Length`, `zenith-*` targets).
    public func decode(body: [UInt8], headers: HTTPHeaderList) throws(RequestError) -> InferenceRequest {
        if let encoding = headers["content-encoding"], encoding.lowercased() != "identity" {
            throw RequestError(
                status: 415, message: "Content-Encoding '\(encoding)' is not supported; send the body uncompressed")
        }
        let headerLength = try Self.jsonHeaderLength(headers: headers, bodyCount: body.count)
        let json = body[..<headerLength]
        var binary = BinaryTensors(bytes: body[headerLength...])
        guard !json.isEmpty else { throw .badRequest("the request body is empty; expected a JSON inference request") }

        let document: JSONDocument
        do {
            document = try self.headerCache.document(parsing: json)
        } catch {
            throw .badRequest(error.description)
        }
        let root = document.rootNode
        guard root.kind == .object else {
            throw .badRequest("the inference request must be a JSON object, not \(root.kind.phrase)")
        }

        let id = try root["id"].map { node throws(RequestError) in
            guard case .string(let id) = try value(node, "id") else { throw .badRequest("id must be a string") }
            return id
        }
        // `parameters` objects are read in place: only the members asked for become Swift values.
        let parameters = try root["parameters"].map { node throws(RequestError) in try object(node, "parameters") }
        let binaryOutput =
            try parameters.flatMap { p throws(RequestError) in
                try bool(member(p, "binary_data_output"), "parameters.binary_data_output")
            } ?? false
        let slo = try SLOParameters.requested(headers: headers) { member(parameters, $0) }

        guard let inputNodes = root["inputs"] else { throw .badRequest("inputs is missing") }
        guard let inputCount = inputNodes.count else {
            throw .badRequest("inputs must be an array, not \(inputNodes.kind.phrase)")
        }
        guard inputCount > 0 else {
            throw .badRequest("inputs is empty; model '\(modelName)' takes '\(input.name)'")
        }
        var decoded: (batch: Int, floats: [Float])?
        for index in 0..<inputCount {
            guard let node = inputNodes[index] else { break }
            let tensor = try decodeInput(node, index: index, binary: &binary)
            guard decoded == nil else { throw .badRequest("input '\(input.name)' is given more than once") }
            decoded = tensor
        }
        guard let decoded else { throw .badRequest("input '\(input.name)' is missing") }
        if binary.remaining > 0 {
            throw .badRequest(
                "\(binary.remaining) bytes of binary data follow the JSON header that no binary_data_size claims"
            )
        }

        let outputs =
            try root["outputs"].map { node throws(RequestError) in try decodeOutputs(node, binaryDefault: binaryOutput)
            }
            ?? self.outputs.map { RequestedOutput(name: $0.name, binary: binaryOutput) }
        return InferenceRequest(id: id, batchSize: decoded.batch, input: decoded.floats, outputs: outputs, slo: slo)
    }

    /// Where the JSON header ends: `Inference-Header-Content-Length`, or the whole body without it.
    static func jsonHeaderLength(headers: HTTPHeaderList, bodyCount: Int) throws(RequestError) -> Int {
        guard let field = headers[headerLengthField] else { return bodyCount }
        let text = field.trimmingASCIIWhitespace()
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let length = Int(text)
        else {
            throw .badRequest(
                "Inference-Header-Content-Length must be a non-negative integer, not '\(field.prefix(40))'")
        }
        guard length <= bodyCount else {
            throw .badRequest("Inference-Header-Content-Length \(length) is larger than the \(bodyCount)-byte body")
        }
        return length
    }

    /// One element of `inputs`: checks name, datatype and shape, then reads `data` or the binary part.
    private func decodeInput(_ node: JSONNode, index: Int, binary: inout BinaryTensors) throws(RequestError) -> (
        Int, [Float]
    ) {
        // Paths for messages are built only when one is thrown.
        guard node.kind == .object else {
            throw .badRequest("inputs[\(index)] must be an object, not \(node.kind.phrase)")
        }
        guard let name = try node["name"].map({ n throws(RequestError) in try string(n, "inputs[\(index)].name") })
        else {
            throw .badRequest("inputs[\(index)].name is missing")
        }
        try checkInputName(name)
        guard
            let datatype = try node["datatype"].map({ n throws(RequestError) in
                try string(n, "inputs[\(index)].datatype")
            })
        else {
            throw .badRequest("input '\(name)': datatype is missing")
        }
        try checkInputDatatype(datatype, name: name)
        let batch = try decodeShape(node["shape"], name: name)
        let count = batch * input.elementCount
        let parameters = try node["parameters"].map { n throws(RequestError) in
            try object(n, "input '\(name)': parameters")
        }
        try checkNoSharedMemory(parameters?.firstKey(withPrefix: "shared_memory"), tensor: "input '\(name)'")

        if let sizeValue = member(parameters, "binary_data_size") {
            guard node["data"] == nil else {
                throw .badRequest("input '\(name)' has both data and parameters.binary_data_size")
            }
            guard let size = sizeValue.intValue, size >= 0 else {
                throw .badRequest(
                    "input '\(name)': binary_data_size must be a non-negative integer, not \(SLOParameters.describe(sizeValue))"
                )
            }
            let expected = count * 4
            guard size <= binary.remaining else {
                throw .badRequest(
                    "input '\(name)': binary_data_size \(size) exceeds the \(binary.remaining) bytes of binary data after the JSON header"
                )
            }
            guard size == expected else {
                throw .badRequest(
                    "input '\(name)': binary_data_size \(size) does not match shape \(shapeText(batch)) of FP32 (\(expected) bytes)"
                )
            }
            switch binary.takeFloats(count: count) {
            case .success(let floats): return (batch, floats)
            case .failure(let bad):
                throw .badRequest("input '\(name)': element \(bad.index) is \(bad.value); inputs must be finite")
            }
        }

        guard let data = node["data"] else {
            throw .badRequest("input '\(name)' has neither data nor parameters.binary_data_size")
        }
        var floats: [Float] = []
        floats.reserveCapacity(count)
        do {
            try data.appendFloats(to: &floats, limit: count)
        } catch .tooMany {
            throw .badRequest("input '\(name)': data has more than the \(count) elements of shape \(shapeText(batch))")
        } catch {
            throw .badRequest("input '\(name)': data: \(error)")
        }
        guard floats.count == count else {
            throw .badRequest(
                "input '\(name)': data has \(floats.count) elements but shape \(shapeText(batch)) needs \(count)")
        }
        return (batch, floats)
    }

    /// Checks `shape` against `[batch, ...dims]` and returns the batch size.
    private func decodeShape(_ node: JSONNode?, name: String) throws(RequestError) -> Int {
        guard let node else { throw .badRequest("input '\(name)': shape is missing") }
        guard let count = node.count else {
            throw .badRequest("input '\(name)': shape must be an array of at most 16 integers")
        }
        return try batchSize(shapeCount: count, name: name) { index throws(RequestError) in
            guard let element = node[index] else { return nil }
            return try value(element, "input '\(name)': shape").intValue
        }
    }

    // MARK: Checks every protocol makes

    /// Checks an input's name against the model's one input.
    func checkInputName(_ name: String) throws(RequestError) {
        guard name == input.name else {
            throw .badRequest("unknown input '\(name)'; model '\(modelName)' takes '\(input.name)'")
        }
    }

    /// Checks an input's datatype (the protocol's name for it) against the model's input.
    func checkInputDatatype(_ datatype: String, name: String) throws(RequestError) {
        guard let type = DataType(rawValue: datatype) else {
            throw .badRequest("input '\(name)': '\(datatype.prefix(40))' is not a datatype of the inference protocol")
        }
        guard type == input.datatype else {
            throw .badRequest(
                "input '\(name)': datatype \(type.rawValue) is not accepted; the model takes \(input.datatype.rawValue)"
            )
        }
    }

    /// Refuses a tensor whose parameters name a shared-memory region (`key`, if any).
    func checkNoSharedMemory(_ key: String?, tensor: @autoclosure () -> String) throws(RequestError) {
        if let key { throw .badRequest("\(tensor()): \(key): shared memory is not supported") }
    }

    /// Checks a shape of `shapeCount` elements against `[batch, ...dims]` and returns the batch size.
    ///
    /// - Parameter dimension: the element at an index; `nil` when it is not an integer.
    func batchSize(
        shapeCount count: Int, name: String, dimension: (Int) throws(RequestError) -> Int?
    ) throws(RequestError) -> Int {
        guard count <= 16 else {
            throw .badRequest("input '\(name)': shape must be an array of at most 16 integers")
        }
        // Every element is checked before the shape is compared, as a message about a malformed
        // element comes first; the shape itself is only collected for the mismatch message.
        var matches = count == input.dims.count + 1
        var batch = 0
        for index in 0..<count {
            guard let dim = try dimension(index), dim >= 0 else {
                throw .badRequest("input '\(name)': shape must hold non-negative integers")
            }
            if index == 0 {
                batch = dim
            } else if matches, dim != input.dims[index - 1] {
                matches = false
            }
        }
        guard matches else {
            let shape = (0..<count).map { index in ((try? dimension(index)) ?? nil) ?? 0 }
            let expected = "[batch, " + input.dims.map(String.init).joined(separator: ", ") + "]"
            throw .badRequest("input '\(name)': shape \(shape) does not match \(expected)")
        }
        guard (1...maxBatchSize).contains(batch) else {
            throw .badRequest("input '\(name)': batch size \(batch) is outside 1...\(maxBatchSize) (max_batch_size)")
        }
        return batch
    }

    /// An output a request asks for, checked: a name the model has, not asked for before.
    ///
    /// - Parameters:
    ///   - classification: the `classification` parameter, if given; 0 means none, as in Triton.
    ///   - requested: the outputs asked for before it.
    func requestedOutput(
        name: String, binary: Bool, classification: Int64?, after requested: [RequestedOutput]
    ) throws(RequestError) -> RequestedOutput {
        guard self.outputs.contains(where: { $0.name == name }) else {
            let known = self.outputs.map { "'\($0.name)'" }.joined(separator: ", ")
            throw .badRequest("unknown output '\(name)'; model '\(modelName)' has \(known)")
        }
        guard !requested.contains(where: { $0.name == name }) else {
            throw .badRequest("output '\(name)' is requested twice")
        }
        var classes: Int?
        if let classification {
            guard classification >= 0 else {
                throw .badRequest(
                    "output '\(name)': classification must be a non-negative integer, not \(classification)")
            }
            classes = classification == 0 ? nil : Int(min(classification, Int64(classCount)))
        }
        return RequestedOutput(name: name, binary: binary, classification: classes)
    }

    /// The `outputs` array: names the model has, each with its `binary_data` and `classification`.
    private func decodeOutputs(_ node: JSONNode, binaryDefault: Bool) throws(RequestError) -> [RequestedOutput] {
        guard let count = node.count else {
            throw .badRequest("outputs must be an array, not \(node.kind.phrase)")
        }
        var outputs: [RequestedOutput] = []
        for index in 0..<count {
            guard let element = node[index] else { break }
            guard element.kind == .object else { throw .badRequest("outputs[\(index)] must be an object") }
            guard
                let name = try element["name"].map({ n throws(RequestError) in
                    try string(n, "outputs[\(index)].name")
                })
            else {
                throw .badRequest("outputs[\(index)].name is missing")
            }
            guard self.outputs.contains(where: { $0.name == name }) else {
                let known = self.outputs.map { "'\($0.name)'" }.joined(separator: ", ")
                throw .badRequest("unknown output '\(name)'; model '\(modelName)' has \(known)")
            }
            let parameters = try element["parameters"].map { n throws(RequestError) in
                try object(n, "output '\(name)': parameters")
            }
            try checkNoSharedMemory(parameters?.firstKey(withPrefix: "shared_memory"), tensor: "output '\(name)'")
            let binary = try bool(member(parameters, "binary_data"), "output '\(name)': binary_data") ?? binaryDefault
            var classification: Int64?
            if let value = member(parameters, "classification") {
                guard let k = value.intValue else {
                    throw .badRequest(
                        "output '\(name)': classification must be a non-negative integer, not \(SLOParameters.describe(value))"
                    )
                }
                classification = Int64(k)
            }
            outputs.append(
                try requestedOutput(name: name, binary: binary, classification: classification, after: outputs))
        }
        return outputs
    }

    func shapeText(_ batch: Int) -> String {
        "[" + ([batch] + input.dims).map(String.init).joined(separator: ", ") + "]"
    }
}

// Small typed readers over JSONNode, each naming the field in its error; the name is built only
// when there is an error to report.
private func value(_ node: JSONNode, _ path: @autoclosure () -> String) throws(RequestError) -> JSONValue {
    do {
        return try node.value()
    } catch {
        throw .badRequest("\(path()): \(error.reason)")
    }
}

private func string(_ node: JSONNode, _ path: @autoclosure () -> String) throws(RequestError) -> String {
    guard case .string(let string) = try value(node, path()) else {
        throw .badRequest("\(path()) must be a string, not \(node.kind.phrase)")
    }
    return string
}

/// An object, checked as a whole (as converting it would) but not converted: read its members with
/// `member(_:_:)`.
private func object(_ node: JSONNode, _ path: @autoclosure () -> String) throws(RequestError) -> JSONNode {
    do {
        try node.validate()
    } catch {
        throw .badRequest("\(path()): \(error.reason)")
    }
    guard node.kind == .object else {
        throw .badRequest("\(path()) must be an object, not \(node.kind.phrase)")
    }
    return node
}

/// The member `key` of an object that `object(_:_:)` returned, as a value; `nil` when absent.
private func member(_ object: JSONNode?, _ key: String) -> JSONValue? {
    // `object(_:_:)` validated the whole object, so converting a member cannot fail.
    guard let node = object?[key] else { return nil }
    return try? node.value()
}

private func bool(_ value: JSONValue?, _ path: @autoclosure () -> String) throws(RequestError) -> Bool? {
    guard let value else { return nil }
    guard let bool = value.boolValue else {
        throw .badRequest("\(path()) must be true or false, not \(SLOParameters.describe(value))")
    }
    return bool
}
