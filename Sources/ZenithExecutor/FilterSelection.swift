/// Class-conditional filter subsets (DyFiP), exactly as Models/FORMAT.md specifies, so that
/// the executor and the PyTorch reference pick the same filters.
enum FilterSelection {
    /// The `count` largest logits' class indices in descending order, ties to the lower index.
    static func topClasses(_ logits: [Float], count: Int) -> [Int] {
        Array(logits.indices.sorted { (logits[$0], $1) > (logits[$1], $0) }.prefix(count))
    }

    /// The filters of one conv layer to compute for classes `classes`, ascending.
    ///
    /// - Parameters:
    ///   - importance: `[classCount, filters]`, each row normalised.
    ///   - classes: the branch's top classes, most likely first.
    ///   - perClass: filters each class contributes to the union.
    ///   - cap: most filters kept; the union is cut by summed importance.
    static func select(importance: [Float], filters: Int, classes: [Int], perClass: Int, cap: Int) -> [Int] {
        var union = Set<Int>()
        for c in classes {
            let row = importance[(c * filters)..<((c + 1) * filters)]
            let ranked = (0..<filters).sorted { (row[row.startIndex + $0], $1) > (row[row.startIndex + $1], $0) }
            union.formUnion(ranked.prefix(perClass))
        }
        guard union.count > cap else { return union.sorted() }
        var score = [Double](repeating: 0, count: filters)
        for c in classes {
            for f in union { score[f] += Double(importance[c * filters + f]) }
        }
        let kept = union.sorted { (score[$0], $1) > (score[$1], $0) }.prefix(cap)
        return kept.sorted()
    }
}
