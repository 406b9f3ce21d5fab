import Foundation

/// Fashion-MNIST as Debian's `dataset-fashion-mnist` installs it: 60k training and 10k test
/// 28 x 28 images of ten kinds of clothing, with their real labels.
public enum FashionMNIST {
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    public enum Split: String, Sendable, CaseIterable {
        case train
        case test

        var filePrefix: String { self == .train ? "train" : "t10k" }
    }

    /// Loads one split from `directory` (gzip-compressed or plain IDX files).
    public static func load(_ split: Split, directory: String = defaultDirectory) throws(DatasetError) -> LabelledImages {
        let imagesPath = try locate("\(directory)/\(split.filePrefix)-images-idx3-ubyte")
        let labelsPath = try locate("\(directory)/\(split.filePrefix)-labels-idx1-ubyte")
        let images = try IDXFile.read(imagesPath, rank: 3)
        let labels = try IDXFile.read(labelsPath, rank: 1)
        guard images.dims[0] == labels.dims[0] else {
            throw DatasetError(file: labelsPath, reason: "has \(labels.dims[0]) labels for \(images.dims[0]) images")
        }
        let pixels = images.bytes.map { Float($0) / 255 }
        return LabelledImages(pixels: pixels, labels: labels.bytes.map(Int.init), rows: images.dims[1], columns: images.dims[2])
    }

    private static func locate(_ base: String) throws(DatasetError) -> String {
        for candidate in [base + ".gz", base] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        throw DatasetError(
            file: base + ".gz",
            reason: "file not found (install Debian's dataset-fashion-mnist, or pass the folder holding the IDX files)")
    }
}
