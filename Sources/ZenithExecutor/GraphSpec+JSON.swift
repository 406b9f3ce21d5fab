import ZenithCore

extension GraphSpec {
    /// Decodes `config.json`'s `graph` (Models/FORMAT.md), naming the path of what is wrong.
    init(reader: ConfigReader) throws(ModelLoadError) {
        var branches: [GraphBranchSpec] = []
        if reader.value["branches"] != nil {
            for b in try reader.array("branches") {
                branches.append(
                    GraphBranchSpec(
                        name: try b.string("name"), at: try b.string("at"),
                        nodes: try b.array("nodes", NodeSpec.init(reader:)), output: try b.string("output")))
            }
        }
        self.init(
            input: try reader.string("input"), output: try reader.string("output"),
            nodes: try reader.array("nodes", NodeSpec.init(reader:)), branches: branches)
    }
}

extension NodeSpec {
    init(reader: ConfigReader) throws(ModelLoadError) {
        let name = try reader.string("name")
        let opName = try reader.string("op")
        let op: OpSpec
        func activation() throws(ModelLoadError) -> ActivationFunction? {
            guard let a = try reader.optional("activation") else { return nil }
            let raw = try a.stringValue()
            guard let f = ActivationFunction(rawValue: raw) else {
                throw a.error("unknown activation '\(raw)' (expected one of \(ActivationFunction.allCases.map(\.rawValue)))")
            }
            return f
        }
        switch opName {
        case "conv":
            op = .conv(
                ConvSpec(
                    stride: try reader.pair("stride", default: 1, min: 1), pads: try reader.padding("pads"),
                    dilation: try reader.pair("dilation", default: 1, min: 1),
                    groups: try reader.optionalInt("groups", min: 1) ?? 1, activation: try activation()))
        case "gemm": op = .gemm(activation: try activation())
        case "add": op = .add(activation: try activation())
        case "mul": op = .mul
        case "concat": op = .concat
        case "maxpool", "avgpool":
            let kernel = try reader.pair("kernel", default: nil, min: 1)
            let pool = PoolSpec(
                kernel: kernel, stride: try reader.pair("stride", default: nil, min: 1, fallback: kernel),
                pads: try reader.padding("pads"), countIncludePad: try reader.optionalBool("count_include_pad") ?? false)
            op = opName == "maxpool" ? .maxPool(pool) : .averagePool(pool)
        case "global_avgpool": op = .globalAveragePool
        case "flatten": op = .flatten
        case "reshape":
            op = .reshape(
                try reader.array("shape") { r throws(ModelLoadError) in try r.intValue(min: 1, max: ConfigReader.maxDimension) })
        case "softmax": op = .softmax
        default:
            guard let f = ActivationFunction(rawValue: opName) else {
                throw reader.error("node '\(name)': unknown op '\(opName)' (supported: \(OpSpec.supportedNames.joined(separator: ", ")))")
            }
            op = .activation(f)
        }
        let inputs = try reader.array("inputs") { r throws(ModelLoadError) in try r.stringValue() }
        self.init(name: name, op: op, inputs: inputs, output: try reader.string("output"))
    }
}

extension ConfigReader {
    /// `[height, width]`, or `default` on both axes when the key is absent.
    func pair(_ key: String, default value: Int?, min: Int, fallback: Pair? = nil) throws(ModelLoadError) -> Pair {
        guard let c = try optional(key) else {
            if let fallback { return fallback }
            guard let value else { throw error("missing '\(key)'") }
            return Pair(value, value)
        }
        guard let items = c.value.arrayValue, items.count == 2 else { throw c.error("must be [height, width]") }
        let h = try ConfigReader(value: items[0], path: c.path + "[0]", file: file).intValue(min: min, max: Self.maxGeometry)
        let w = try ConfigReader(value: items[1], path: c.path + "[1]", file: file).intValue(min: min, max: Self.maxGeometry)
        return Pair(h, w)
    }

    /// `[top, left, bottom, right]`, zero when absent.
    func padding(_ key: String) throws(ModelLoadError) -> Padding {
        guard let c = try optional(key) else { return .uniform(0) }
        guard let items = c.value.arrayValue, items.count == 4 else { throw c.error("must be [top, left, bottom, right]") }
        var p: [Int] = []
        for (i, item) in items.enumerated() {
            p.append(try ConfigReader(value: item, path: "\(c.path)[\(i)]", file: file).intValue(min: 0, max: Self.maxGeometry))
        }
        return Padding(top: p[0], left: p[1], bottom: p[2], right: p[3])
    }
}
