public import ZenithData
public import ZenithExecutor

/// The labelled images a model is judged on: the test set, and the validation split its
/// config names (carved from the training set, never trained on).
public struct EvaluationData: Sendable {
    public var test: LabelledImages
    public var validation: LabelledImages

    /// From a labelled `.npz` (`data`), or for a model whose config names a Fashion-MNIST
    /// split, from the IDX files in `directory`.
    public static func load(for model: Model, data: String? = nil, directory: String = FashionMNIST.defaultDirectory) throws -> EvaluationData {
        if let data {
            let file = try NPZFile(contentsOf: data)
            let test = try LabelledImages.load(npz: file, split: .test)
            let validation = try LabelledImages.load(npz: file, split: .validation)
            for (part, set) in [("test", test), ("validation", validation)] where set.pixelsPerImage != model.inputElementCount {
                throw DatasetError(
                    file: data, reason: "\(part) samples have \(set.pixelsPerImage) values; '\(model.name)' takes \(model.inputElementCount)")
            }
            return EvaluationData(test: test, validation: validation)
        }
        guard let split = model.config.validation else {
            throw DatasetError(
                file: model.directory + "/config.json",
                reason: "the model names no built-in data set: pass its labelled data with --data FILE.npz")
        }
        guard let source = FashionMNIST.Split(rawValue: split.source) else {
            throw DatasetError(file: model.directory + "/config.json", reason: "validation.source '\(split.source)' is not train or test")
        }
        let test = try FashionMNIST.load(.test, directory: directory)
        let pool = source == .test ? test : try FashionMNIST.load(.train, directory: directory)
        guard split.start + split.count <= pool.count else {
            throw DatasetError(file: model.directory + "/config.json", reason: "validation split exceeds the \(pool.count) images of \(split.source)")
        }
        return EvaluationData(test: test, validation: pool.subset(split.start..<(split.start + split.count)))
    }
}
