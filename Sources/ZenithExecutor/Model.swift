import Foundation
public import ZenithCore
import ZenithJSON

/// A loaded, validated model: its config, labels, compiled layers and plans.
///
/// Immutable and shared by every `Executor` that runs it. Loading checks every file against
/// the others (weights against the network, plans against the layers), so a model that loads
/// can run every plan it declares.
public final class Model: Sendable {
    public let config: ModelConfig
    public let labels: [String]
    /// The folder the model was loaded from.
    public let directory: String
    public let classCount: Int
    public let inputElementCount: Int

    let trunk: [Layer]
    let branchLayers: [Layer]
    /// Index of the trunk layer whose output the branch reads.
    let branchAfter: Int?
    let plans: [CompiledPlan]
    /// Largest per-sample activation anywhere in the network, in floats.
    let maxActivation: Int
    /// Largest per-sample im2col matrix, in floats.
    let maxColumns: Int
    let maxWeights: Int
    /// Largest per-sample Winograd working set (transformed inputs plus products), in floats.
    let maxWinograd: Int
    /// Most Winograd tiles in one plane.
    let maxTiles: Int
    /// Largest zero-bordered plane Winograd cuts its input tiles from, with its row scratch.
    let maxPaddedPlane: Int

    public var name: String { config.name }
    public var planNames: [String] { plans.map(\.spec.name) }

    /// Multiply-adds of one sample through the dense trunk.
    public var denseMultiplyAdds: Int { trunk.reduce(0) { $0 + $1.denseMultiplyAdds } }

    public func planIndex(named name: String) -> Int? { plans.firstIndex { $0.spec.name == name } }

    /// Loads `config.json`, the labels and `<version>/model.safetensors` from `directory`.
    public convenience init(directory: String) throws(ModelLoadError) {
        let configPath = directory + "/config.json"
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw ModelLoadError(file: configPath, reason: "file not found")
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: [UInt8](data))
        } catch {
            throw ModelLoadError(file: configPath, reason: "not valid JSON: \(error)")
        }
        let config = try ModelConfig(json: json, file: configPath)
        var labels: [String] = []
        if let labelsFile = config.labelsFile {
            let labelsPath = directory + "/" + labelsFile
            guard let text = FileManager.default.contents(atPath: labelsPath) else {
                throw ModelLoadError(file: labelsPath, reason: "file not found")
            }
            labels = String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let weights = try SafeTensors(contentsOf: "\(directory)/\(config.version)/model.safetensors")
        try self.init(config: config, labels: labels, weights: weights, directory: directory)
    }

    init(config: ModelConfig, labels: [String], weights: SafeTensors, directory: String) throws(ModelLoadError) {
        let configFile = directory + "/config.json"
        func configError(_ reason: String) -> ModelLoadError { ModelLoadError(file: configFile, reason: reason) }

        guard config.inputs.count == 1, config.inputs[0].datatype == .fp32 else {
            throw configError("inputs: exactly one FP32 input is supported")
        }
        guard config.outputs.count == 1, config.outputs[0].datatype == .fp32, config.outputs[0].dims.count == 1 else {
            throw configError("outputs: exactly one FP32 output of shape [classes] is supported")
        }
        let classCount = config.outputs[0].dims[0]
        if !labels.isEmpty, labels.count != classCount {
            throw ModelLoadError(
                file: directory + "/" + (config.labelsFile ?? "labels.txt"),
                reason: "has \(labels.count) labels but the output has \(classCount) classes")
        }
        guard let firstPlan = config.plans.first, firstPlan.isDense else {
            throw configError("plans: the first plan must be dense")
        }
        let inputDims = config.inputs[0].dims
        let inputShape: ActivationShape
        switch inputDims.count {
        case 1: inputShape = .flat(inputDims[0])
        case 3: inputShape = .spatial(channels: inputDims[0], height: inputDims[1], width: inputDims[2])
        default: throw configError("inputs[0].dims must be [features] or [channels, height, width]")
        }

        let builder = NetworkBuilder(weights: weights, configFile: configFile, classCount: classCount)
        let (trunk, trunkShapes) = try builder.build(config.network.layers, from: inputShape, path: "network.layers")
        guard trunkShapes.last == .flat(classCount) else {
            throw configError("network.layers end in shape \(trunkShapes.last ?? inputShape), expected [\(classCount)] logits")
        }

        var branchAfter: Int?
        var branchLayers: [Layer] = []
        var branchShapes: [ActivationShape] = []
        if let branch = config.network.branch {
            guard let index = trunk.firstIndex(where: { $0.name == branch.after }) else {
                throw configError("network.branch.after names '\(branch.after)', which is not a trunk layer")
            }
            guard index < trunk.count - 1 else { throw configError("network.branch.after must not be the last layer") }
            (branchLayers, branchShapes) = try builder.build(branch.layers, from: trunkShapes[index], path: "network.branch.layers")
            guard branchShapes.last == .flat(classCount) else {
                throw configError("network.branch.layers end in shape \(branchShapes.last.map(\.description) ?? "?"), expected [\(classCount)]")
            }
            branchAfter = index
        }

        var plans: [CompiledPlan] = []
        var seen = Set<String>()
        for (i, spec) in config.plans.enumerated() {
            guard seen.insert(spec.name).inserted else { throw configError("plans[\(i)]: duplicate plan name '\(spec.name)'") }
            plans.append(
                try PlanCompiler(trunk: trunk, branchAfter: branchAfter, classCount: classCount, configFile: configFile)
                    .compile(spec, path: "plans[\(i)]"))
        }

        let allLayers = trunk + branchLayers
        self.config = config
        self.labels = labels
        self.directory = directory
        self.classCount = classCount
        self.inputElementCount = inputShape.elementCount
        self.trunk = trunk
        self.branchLayers = branchLayers
        self.branchAfter = branchAfter
        self.plans = plans
        self.maxActivation = ([inputShape] + trunkShapes + branchShapes).map(\.elementCount).max() ?? 0
        self.maxColumns = allLayers.map { layer in
            if case .conv(let c) = layer { return c.patchSize * c.outHeight * c.outWidth }
            return 0
        }.max() ?? 0
        self.maxWinograd = allLayers.map { layer in
            if case .conv(let c) = layer, c.winograd != nil { return 16 * (c.inChannels + c.outChannels) * c.winogradTiles }
            return 0
        }.max() ?? 0
        self.maxTiles = allLayers.map { layer in
            guard case .conv(let c) = layer, c.winograd != nil else { return 0 }
            return c.winogradTiles
        }.max() ?? 0
        self.maxPaddedPlane = allLayers.map { layer in
            guard case .conv(let c) = layer, c.winograd != nil else { return 0 }
            // The padded plane, then four rows of Bᵀ d.
            return (c.outHeight + 3) * (c.outWidth + 3) + 4 * (c.outWidth + 3)
        }.max() ?? 0
        self.maxWeights = allLayers.map { layer in
            switch layer {
            case .conv(let c): return max(c.weight.count, c.winograd?.count ?? 0)
            case .linear(let l): return l.weight.count
            default: return 0
            }
        }.max() ?? 0
    }
}

/// Resolves layer specs into layers with weights, tracking the activation shape.
struct NetworkBuilder {
    var weights: SafeTensors
    var configFile: String
    var classCount: Int

    func build(_ specs: [LayerSpec], from input: ActivationShape, path: String) throws(ModelLoadError) -> ([Layer], [ActivationShape]) {
        var layers: [Layer] = []
        var shapes: [ActivationShape] = []
        var shape = input
        func push(_ layer: Layer, _ output: ActivationShape) {
            layers.append(layer)
            shapes.append(output)
            shape = output
        }
        func fail(_ i: Int, _ reason: String) -> ModelLoadError {
            ModelLoadError(file: configFile, reason: "\(path)[\(i)]: \(reason)")
        }
        for (i, spec) in specs.enumerated() {
            switch spec {
            case .conv2d(let name, let stride, let padding, let relu):
                guard case .spatial(let c, let h, let w) = shape else { throw fail(i, "conv2d needs a [C, H, W] input, got \(shape)") }
                guard let entry = weights.entries[name + ".weight"], entry.shape.count == 4, entry.shape[1] == c,
                    entry.shape[2] == entry.shape[3]
                else {
                    let found = weights.entries[name + ".weight"].map { "\($0.shape)" } ?? "missing"
                    throw ModelLoadError(
                        file: weights.path, reason: "tensor '\(name).weight' should be [out, \(c), k, k], found \(found)")
                }
                let (out, k) = (entry.shape[0], entry.shape[2])
                let oh = (h + 2 * padding - k) / stride + 1
                let ow = (w + 2 * padding - k) / stride + 1
                guard oh > 0, ow > 0 else { throw fail(i, "kernel \(k) does not fit input \(shape)") }
                let weight = try weights.floats(name + ".weight")
                // A single input channel leaves Winograd's GEMMs with K = 1: im2col (K = 9) is better.
                let winograd = Winograd.applies(kernel: k, stride: stride, padding: padding) && c >= 8
                    ? Winograd.transformWeights(weight, outChannels: out, inChannels: c) : nil
                let conv = ConvLayer(
                    name: name, inChannels: c, outChannels: out, kernel: k, stride: stride, padding: padding,
                    inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, relu: relu,
                    weight: weight,
                    bias: try weights.floats(name + ".bias", shape: [out]),
                    importance: try importance(name, units: out), winograd: winograd)
                push(.conv(conv), .spatial(channels: out, height: oh, width: ow))
            case .maxPool2d(let kernel, let stride):
                guard case .spatial(let c, let h, let w) = shape, h >= kernel, w >= kernel else {
                    throw fail(i, "maxpool2d needs a [C, H, W] input of at least the kernel size, got \(shape)")
                }
                let pool = PoolLayer(
                    kernel: kernel, stride: stride, channels: c, inHeight: h, inWidth: w,
                    outHeight: (h - kernel) / stride + 1, outWidth: (w - kernel) / stride + 1)
                push(.maxPool(pool), .spatial(channels: c, height: pool.outHeight, width: pool.outWidth))
            case .globalAveragePool:
                guard case .spatial(let c, let h, let w) = shape else { throw fail(i, "global_avgpool needs a [C, H, W] input") }
                push(.globalAveragePool(channels: c, spatial: h * w), .flat(c))
            case .flatten:
                if case .spatial(let c, let h, let w) = shape {
                    push(.flatten(channels: c, spatial: h * w), .flat(c * h * w))
                }
            case .linear(let name, let relu):
                if case .spatial(let c, let h, let w) = shape {
                    // A linear layer after a spatial one flattens first, as torch.flatten would.
                    push(.flatten(channels: c, spatial: h * w), .flat(c * h * w))
                }
                guard case .flat(let n) = shape else { continue }
                guard let entry = weights.entries[name + ".weight"], entry.shape.count == 2, entry.shape[1] == n else {
                    let found = weights.entries[name + ".weight"].map { "\($0.shape)" } ?? "missing"
                    throw ModelLoadError(file: weights.path, reason: "tensor '\(name).weight' should be [out, \(n)], found \(found)")
                }
                let out = entry.shape[0]
                let weight = try weights.floats(name + ".weight")
                var inputMajor = [Float](repeating: 0, count: weight.count)
                for o in 0..<out {
                    for j in 0..<n { inputMajor[j * out + o] = weight[o * n + j] }
                }
                let linear = LinearLayer(
                    name: name, inputs: n, outputs: out, relu: relu, weight: weight, weightInputMajor: inputMajor,
                    bias: try weights.floats(name + ".bias", shape: [out]), importance: try importance(name, units: out))
                push(.linear(linear), .flat(out))
            }
        }
        return (layers, shapes)
    }

    func importance(_ name: String, units: Int) throws(ModelLoadError) -> [Float]? {
        let tableName = "importance." + name
        guard weights.entries[tableName] != nil else { return nil }
        return try weights.floats(tableName, shape: [classCount, units])
    }
}
