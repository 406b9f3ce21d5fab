public import ZenithData

/// The labelled test images requests are made of, and the per-sample shape the model takes.
public enum PayloadImages {
    /// From an `.npz` (its test split; the shape is its `x`'s per-sample shape unless given), or
    /// else from Fashion-MNIST's IDX files in `dataset` (then the shape must be given: the
    /// images are 28 x 28, and whether the model reads `[784]` or `[1, 28, 28]` is the model's).
    public static func load(data: String?, dataset: String, inputShape: [Int]?) throws -> (LabelledImages, [Int]) {
        if let data {
            let file = try NPZFile(contentsOf: data)
            let shape = inputShape ?? Array((file.arrays["x"]?.shape ?? []).dropFirst())
            let images = try LabelledImages.load(npz: file, split: .test)
            guard shape.reduce(1, *) == images.pixelsPerImage else {
                throw DatasetError(file: data, reason: "samples have \(images.pixelsPerImage) values; input_shape \(shape) needs \(shape.reduce(1, *))")
            }
            return (images, shape)
        }
        guard let inputShape else {
            throw DatasetError(
                file: dataset, reason: "Fashion-MNIST images need the model's input shape: give input_shape ([784] or [1, 28, 28]) or --data FILE.npz")
        }
        let images = try FashionMNIST.load(.test, directory: dataset)
        guard inputShape.reduce(1, *) == images.pixelsPerImage else {
            throw DatasetError(file: dataset, reason: "input_shape \(inputShape) does not hold a 28 x 28 image")
        }
        return (images, inputShape)
    }
}
