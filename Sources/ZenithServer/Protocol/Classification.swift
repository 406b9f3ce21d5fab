/// Triton's classification extension: the top-k classes of a logits row as `"score:index:label"`.
public enum Classification {
    /// The `k` largest entries of `row`, highest first (ties to the lower index), formatted as
    /// Triton formats them: the score with six decimals, the class index, and the label when the
    /// model has labels.
    /// - Parameters:
    ///   - row: one sample's logits.
    ///   - k: how many classes, clamped to the row's length.
    ///   - labels: class names in index order; may be empty.
    public static func topK(_ row: ArraySlice<Float>, k: Int, labels: [String]) -> [String] {
        let ranked = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
        return ranked.prefix(max(0, k)).map { index in
            let classIndex = index - row.startIndex
            let score = fixed6(row[index])
            return labels.indices.contains(classIndex)
                ? "\(score):\(classIndex):\(labels[classIndex])" : "\(score):\(classIndex)"
        }
    }

    /// `value` with exactly six decimals, like C++'s `std::to_string(float)`.
    static func fixed6(_ value: Float) -> String {
        let scaled = (Double(value) * 1_000_000).rounded()
        let negative = scaled < 0
        let magnitude = UInt64(min(abs(scaled), 9.0e18))
        let whole = magnitude / 1_000_000
        let fraction = String(magnitude % 1_000_000)
        return (negative ? "-" : "") + "\(whole)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
