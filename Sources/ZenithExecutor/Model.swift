import Foundation
public import ZenithCore
import ZenithJSON

/// A loaded, validated model: its config, labels, graph with weights, and compiled plans.
///
/// Immutable and shared by every `Executor` that runs it. Loading checks every file against
/// the others (weights against the graph, plans against the nodes), so a model that loads can
/// run every plan it declares.
public final class Model: Sendable {
    public let config: ModelConfig
    public let labels: [String]
    /// The folder the model was loaded from.
    public let directory: String
    public let classCount: Int
    public let inputElementCount: Int

    let graph: CompiledGraph
    let plans: [CompiledPlan]
    let memory: MemoryPlan

    public var name: String { config.name }
    public var planNames: [String] { plans.map(\.spec.name) }

    /// Multiply-adds of one sample through the dense trunk.
    public var denseMultiplyAdds: Int {
        graph.nodes.reduce(0) { $0 + ($1.branch == nil ? $1.operation.denseMultiplyAdds : 0) }
    }

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

    package init(config: ModelConfig, labels: [String], weights: SafeTensors, directory: String) throws(ModelLoadError) {
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
        let inputShape: TensorShape
        switch inputDims.count {
        case 1: inputShape = .flat(inputDims[0])
        case 3: inputShape = TensorShape(channels: inputDims[0], height: inputDims[1], width: inputDims[2])
        default: throw configError("inputs[0].dims must be [features] or [channels, height, width]")
        }
        guard config.graph.input == config.inputs[0].name else {
            throw configError("graph.input is '\(config.graph.input)' but the input is named '\(config.inputs[0].name)'")
        }
        guard config.graph.output == config.outputs[0].name else {
            throw configError("graph.output is '\(config.graph.output)' but the output is named '\(config.outputs[0].name)'")
        }

        let graph = try GraphBuilder(weights: weights, configFile: configFile, classCount: classCount)
            .build(config.graph, input: inputShape)
        var plans: [CompiledPlan] = []
        var seen = Set<String>()
        for (i, spec) in config.plans.enumerated() {
            guard seen.insert(spec.name).inserted else { throw configError("plans[\(i)]: duplicate plan name '\(spec.name)'") }
            plans.append(
                try PlanCompiler(graph: graph, classCount: classCount, configFile: configFile).compile(spec, path: "plans[\(i)]"))
        }
        self.config = config
        self.labels = labels
        self.directory = directory
        self.classCount = classCount
        self.inputElementCount = inputShape.elementCount
        self.graph = graph
        self.plans = plans
        self.memory = MemoryPlan(graph: graph)
    }
}
