public import ZenithData
public import ZenithExecutor

/// The labelled images a model is judged on: the test set, and the validation split its
/// config names (carved from the training set, never trained on).
public struct EvaluationData: Sendable {
    public var test: LabelledImages
    public var validation: LabelledImages

    public static func load(for model: Model, directory: String = FashionMNIST.defaultDirectory) throws -> EvaluationData {
        let split = model.config.validation
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
