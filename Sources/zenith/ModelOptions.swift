import ArgumentParser
import ZenithData
import ZenithExecutor

/// Options every model command shares.
struct ModelOptions: ParsableArguments {
    @Option(help: "The model repository: one folder per model (default: Models in \(Zenith.homeHelp)).")
    var repository: String?

    var resolvedRepository: String { repository ?? Zenith.home.path("Models") }

    @Option(help: "The model to use (a folder of the repository).")
    var model: String

    @Option(help: "Labelled data: an .npz with x (samples), y (labels) and optionally split (0 train, 1 validation, 2 test).")
    var data: String?

    @Option(help: "Without --data, for a model tuned on Fashion-MNIST: the folder holding its IDX files.")
    var dataset = FashionMNIST.defaultDirectory

    @Option(help: "OpenBLAS threads.")
    var blasThreads = 1

    func validate() throws {
        guard blasThreads >= 1 else { throw ValidationError("--blas-threads must be at least 1") }
        guard !model.isEmpty, !model.contains("/") else { throw ValidationError("--model names a folder of the repository") }
    }

    func loadModel() throws -> Model {
        BLAS.setThreadCount(blasThreads)
        do {
            return try Model(directory: "\(resolvedRepository)/\(model)")
        } catch {
            throw ValidationError("cannot load model '\(model)': \(error)")
        }
    }
}
