public import ZenithCore
public import ZenithJSON

extension ModelConfig {
    /// Decodes a `config.json` (Models/FORMAT.md), naming the file and the JSON path of the
    /// first thing that is missing or of the wrong kind.
    public init(json: JSONValue, file: String) throws(ModelLoadError) {
        let root = ConfigReader(value: json, path: "", file: file)
        let batching = try root.optional("dynamic_batching")
        let slo = try root.optional("slo")
        let validation = try root.optional("validation")
        let maxBatch = try root.int("max_batch_size", min: 1)
        self.init(
            name: try root.string("name"),
            version: try root.optionalInt("version", min: 1) ?? 1,
            maxBatchSize: maxBatch,
            labelsFile: try root.optional("labels")?.stringValue(),
            inputs: try root.array("inputs", TensorSpec.init(reader:)),
            outputs: try root.array("outputs", TensorSpec.init(reader:)),
            graph: try Self.graph(root),
            plans: try root.array("plans", PlanSpec.init(reader:)),
            sloDefaults: SLOTargets(
                latencyTargetMs: try slo?.optionalDouble("latency_target_ms"),
                accuracyTarget: try slo?.optionalDouble("accuracy_target")),
            infeasiblePolicy: try slo?.optional("policy").map { r throws(ModelLoadError) in
                let raw = try r.stringValue()
                guard let policy = InfeasiblePolicy(rawValue: raw) else {
                    throw r.error("must be one of \(InfeasiblePolicy.allCases.map(\.rawValue))")
                }
                return policy
            } ?? .reject,
            batching: BatchingSpec(
                maxBatchSize: try batching?.optionalInt("max_batch_size", min: 1) ?? maxBatch,
                maxQueueDelayMicroseconds: try batching?.optionalInt("max_queue_delay_us", min: 0) ?? 500),
            validation: try validation.map { v throws(ModelLoadError) in
                ValidationSplit(
                    source: try v.optional("source")?.stringValue() ?? "train",
                    start: try v.optionalInt("start", min: 0) ?? 55000,
                    count: try v.optionalInt("count", min: 0) ?? 5000)
            },
            sloClasses: try slo?.optional("classes").map(Self.sloClasses) ?? [:])
    }

    /// The `graph`, or a legacy sequential `network` read as a chain graph.
    private static func graph(_ root: ConfigReader) throws(ModelLoadError) -> GraphSpec {
        if let graph = try root.optional("graph") { return try GraphSpec(reader: graph) }
        let inputs = try root.array("inputs")
        let outputs = try root.array("outputs")
        guard let input = inputs.first, let output = outputs.first else {
            throw root.error("needs 'inputs' and 'outputs'")
        }
        return try LegacyNetwork(reader: try root.child("network"))
            .graph(input: try input.string("name"), output: try output.string("name"))
    }

    /// `slo.classes`: `{"gold": {"latency_target_ms": 5, "accuracy_target": 0.92}, ...}`.
    private static func sloClasses(_ reader: ConfigReader) throws(ModelLoadError) -> [String: SLOTargets] {
        var classes: [String: SLOTargets] = [:]
        for (name, spec) in try reader.members() {
            guard !name.isEmpty else { throw reader.error("a class name must not be empty") }
            guard spec.value.objectValue != nil else { throw spec.error("must be an object") }
            classes[name] = SLOTargets(
                latencyTargetMs: try spec.optionalDouble("latency_target_ms"),
                accuracyTarget: try spec.optionalDouble("accuracy_target"))
        }
        return classes
    }
}

extension TensorSpec {
    init(reader: ConfigReader) throws(ModelLoadError) {
        let typeName = try reader.string("datatype")
        guard let datatype = DataType(rawValue: typeName) else {
            throw reader.child("datatype", or: reader).error("unknown datatype \(typeName)")
        }
        let dims = try reader.array("dims") { r throws(ModelLoadError) in
            try r.intValue(min: 1, max: ConfigReader.maxDimension)
        }
        var elements = 1
        for dim in dims {
            elements *= dim  // at most 2^28 × 2^24 before the check: no overflow
            guard elements <= ConfigReader.maxElements else {
                throw reader.child("dims", or: reader).error("describes more than \(ConfigReader.maxElements) elements")
            }
        }
        self.init(name: try reader.string("name"), datatype: datatype, dims: dims)
    }
}

extension PlanSpec {
    init(reader: ConfigReader) throws(ModelLoadError) {
        var width: [String: WidthSpec] = [:]
        if let w = try reader.optional("width") {
            for (layer, spec) in try w.members() {
                width[layer] = WidthSpec(keep: try spec.optionalInt("keep", min: 1), topk: try spec.optionalInt("topk", min: 1))
            }
        }
        var exits: [String: Double] = [:]
        if let e = try reader.optional("exit") {
            exits[ExitSpec.onlyBranch] = try Self.threshold(e, "threshold")
        }
        if let e = try reader.optional("exits") {
            for (branch, _) in try e.members() { exits[branch] = try Self.threshold(e, branch) }
        }
        var filters: FilterSpec?
        if let f = try reader.optional("filters") {
            var layers: [String: FilterLayerSpec] = [:]
            for (layer, spec) in try f.child("layers").members() {
                layers[layer] = FilterLayerSpec(perClass: try spec.int("per_class", min: 1), cap: try spec.int("cap", min: 1))
            }
            filters = FilterSpec(
                branch: try f.optional("branch")?.stringValue() ?? ExitSpec.onlyBranch,
                classes: try f.int("classes", min: 1), layers: layers)
        }
        self.init(
            name: try reader.string("name"), width: width,
            exits: exits, filters: filters)
    }

    private static func threshold(_ reader: ConfigReader, _ key: String) throws(ModelLoadError) -> Double {
        let t = try reader.double(key)
        guard (0...1).contains(t) else { throw try reader.child(key).error("an exit threshold must be within 0...1") }
        return t
    }
}

/// Walks a decoded `config.json`, remembering where it is so every error names the path.
struct ConfigReader {
    var value: JSONValue
    var path: String
    var file: String

    func error(_ reason: String) -> ModelLoadError {
        ModelLoadError(file: file, reason: path.isEmpty ? reason : "\(path): \(reason)")
    }

    private func at(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func child(_ key: String) throws(ModelLoadError) -> ConfigReader {
        guard let v = value[key], !v.isNull else { throw error("missing '\(key)'") }
        return ConfigReader(value: v, path: at(key), file: file)
    }

    func child(_ key: String, or fallback: ConfigReader) -> ConfigReader {
        (try? child(key)) ?? fallback
    }

    func optional(_ key: String) throws(ModelLoadError) -> ConfigReader? {
        guard let v = value[key], !v.isNull else { return nil }
        return ConfigReader(value: v, path: at(key), file: file)
    }

    func array(_ key: String) throws(ModelLoadError) -> [ConfigReader] {
        let c = try child(key)
        guard let items = c.value.arrayValue else { throw c.error("must be an array") }
        return items.enumerated().map { ConfigReader(value: $1, path: "\(c.path)[\($0)]", file: file) }
    }

    func array<T>(_ key: String, _ transform: (ConfigReader) throws(ModelLoadError) -> T) throws(ModelLoadError) -> [T] {
        var result: [T] = []
        for item in try array(key) { result.append(try transform(item)) }
        return result
    }

    func members() throws(ModelLoadError) -> [(String, ConfigReader)] {
        guard let object = value.objectValue else { throw error("must be an object") }
        return object.entries.map { ($0.key, ConfigReader(value: $0.value, path: at($0.key), file: file)) }
    }

    func stringValue() throws(ModelLoadError) -> String {
        guard let s = value.stringValue else { throw error("must be a string") }
        return s
    }

    func intValue(min: Int) throws(ModelLoadError) -> Int {
        guard let i = value.intValue, i >= min else { throw error("must be an integer >= \(min)") }
        return i
    }

    /// An integer in `min...max`; sizes are bounded so that the shape arithmetic of a graph
    /// built from them cannot overflow `Int` (and trap) whatever a config says.
    func intValue(min: Int, max: Int) throws(ModelLoadError) -> Int {
        guard let i = value.intValue, i >= min, i <= max else { throw error("must be an integer in \(min)...\(max)") }
        return i
    }

    /// The largest tensor dimension a config may give, and the largest element count of one
    /// sample of an input or output: far beyond the models Zenith serves.
    static let maxDimension = 1 << 24
    static let maxElements = 1 << 28
    /// The largest kernel, stride, dilation or padding along one axis.
    static let maxGeometry = 1 << 12

    func string(_ key: String) throws(ModelLoadError) -> String { try child(key).stringValue() }
    func int(_ key: String, min: Int) throws(ModelLoadError) -> Int { try child(key).intValue(min: min) }

    func double(_ key: String) throws(ModelLoadError) -> Double {
        let c = try child(key)
        guard let d = c.value.doubleValue, d.isFinite else { throw c.error("must be a number") }
        return d
    }

    func optionalInt(_ key: String, min: Int) throws(ModelLoadError) -> Int? {
        try optional(key)?.intValue(min: min)
    }

    func optionalDouble(_ key: String) throws(ModelLoadError) -> Double? {
        guard optionalExists(key) else { return nil }
        return try double(key)
    }

    func optionalBool(_ key: String) throws(ModelLoadError) -> Bool? {
        guard let c = try optional(key) else { return nil }
        guard let b = c.value.boolValue else { throw c.error("must be true or false") }
        return b
    }

    private func optionalExists(_ key: String) -> Bool {
        if let v = value[key], !v.isNull { return true }
        return false
    }
}
