/// Greyscale images with their class labels, pixels scaled to [0, 1] (`byte / 255`).
public struct LabelledImages: Sendable {
    /// `count * rows * columns` pixels, image after image.
    public let pixels: [Float]
    public let labels: [Int]
    public let rows: Int
    public let columns: Int

    public init(pixels: [Float], labels: [Int], rows: Int, columns: Int) {
        precondition(pixels.count == labels.count * rows * columns, "pixels and labels disagree")
        self.pixels = pixels
        self.labels = labels
        self.rows = rows
        self.columns = columns
    }

    public var count: Int { labels.count }
    public var pixelsPerImage: Int { rows * columns }

    /// The pixels of images `range`, back to back.
    public func pixels(_ range: Range<Int>) -> ArraySlice<Float> {
        pixels[(range.lowerBound * pixelsPerImage)..<(range.upperBound * pixelsPerImage)]
    }

    /// Images `range` as a set of their own.
    public func subset(_ range: Range<Int>) -> LabelledImages {
        LabelledImages(pixels: Array(pixels(range)), labels: Array(labels[range]), rows: rows, columns: columns)
    }
}

extension LabelledImages {
    /// Which part of a labelled data set a sample belongs to.
    public enum Split: Int, Sendable, CaseIterable {
        case train = 0, validation = 1, test = 2
    }

    /// The samples of `split` from an `.npz` with `x` (N x input shape, float) and `y` (N
    /// labels). Its `split` array (0 train, 1 validation, 2 test) says which is which; without
    /// one, in file order, the first 80% are training, the next 10% validation, the last 10% test
    /// (Models/FORMAT.md, the same rule as `scripts/prepare.sh`).
    public static func load(npz path: String, split: Split) throws(DatasetError) -> LabelledImages {
        try load(npz: NPZFile(contentsOf: path), split: split)
    }

    /// The samples of `split` from an `.npz` already read (several splits, one read).
    public static func load(npz file: NPZFile, split: Split) throws(DatasetError) -> LabelledImages {
        let path = file.path
        for key in ["x", "y", "split"] {
            if let dtype = file.undecoded[key] {
                throw DatasetError(file: path, reason: "'\(key)' has dtype \(dtype); use float32, float64, int64, int32, int16, int8, uint8 or bool")
            }
        }
        guard let x = file.arrays["x"], let y = file.arrays["y"] else {
            throw DatasetError(file: path, reason: "needs arrays 'x' (samples) and 'y' (labels), found \(file.arrays.keys.sorted())")
        }
        let count = y.values.count
        guard let first = x.shape.first, first == count, count > 0 else {
            throw DatasetError(file: path, reason: "'x' has shape \(x.shape) but 'y' has \(count) labels")
        }
        let perSample = x.values.count / count
        var members: [Int]
        if let parts = file.arrays["split"] {
            guard parts.values.count == count else {
                throw DatasetError(file: path, reason: "'split' has \(parts.values.count) entries for \(count) samples")
            }
            members = (0..<count).filter { Int(parts.values[$0]) == split.rawValue }
        } else {
            let (train, validation) = (count * 8 / 10, count * 9 / 10)
            switch split {
            case .train: members = Array(0..<train)
            case .validation: members = Array(train..<validation)
            case .test: members = Array(validation..<count)
            }
        }
        var pixels = [Float]()
        pixels.reserveCapacity(members.count * perSample)
        var labels = [Int]()
        for i in members {
            for k in 0..<perSample { pixels.append(Float(x.values[i * perSample + k])) }
            guard let label = Int(exactly: y.values[i]), label >= 0 else {
                throw DatasetError(file: path, reason: "'y'[\(i)] is \(y.values[i]), not a class index")
            }
            labels.append(label)
        }
        return LabelledImages(pixels: pixels, labels: labels, rows: 1, columns: perSample)
    }
}
