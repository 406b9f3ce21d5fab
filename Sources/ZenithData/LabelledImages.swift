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
