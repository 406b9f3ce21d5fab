import Testing
@testable import ZenithExecutor

@Suite struct SelectionTests {
    @Test func topKTakesLargestWithTiesToLowerIndexAndSkipsZeros() {
        #expect(TopK.select([0.5, 2, 1, 2, 0, 3], k: 3) == [1, 3, 5])
        #expect(TopK.select([1, 1, 1, 1], k: 2) == [0, 1])
        // Only two non-zeros: they are the whole answer, zeros would add nothing.
        #expect(TopK.select([0, 4, 0, 0, 1, 0], k: 4) == [1, 4])
        #expect(TopK.select([-1, -3, -2, 5], k: 2) == [0, 3])
        #expect(TopK.select([1, 2], k: 5) == [0, 1])
    }

    @Test func topKAgreesWithSortingOnManyInputs() {
        var random = SeededRandom(state: 3)
        for trial in 0..<200 {
            let n = 1 + Int(random.next() % 300)
            // Coarse values so that ties are common.
            let values = random.floats(n, scale: 1).map { max(0, ($0 * 8).rounded() / 8) }
            let k = 1 + Int(random.next() % UInt64(n))
            let expected = values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
                .prefix(k).filter { values[$0] != 0 }.sorted()
            #expect(TopK.select(values, k: k) == expected, "trial \(trial)")
        }
    }

    @Test func topClassesOrderByLogitThenIndex() {
        #expect(FilterSelection.topClasses([0.1, 3, 3, -1, 2], count: 3) == [1, 2, 4])
    }

    @Test func filtersAreTheUnionOfPerClassTopsCutBySummedImportance() {
        // Three classes over six filters.
        let table: [Float] = [
            0.40, 0.30, 0.10, 0.10, 0.05, 0.05,  // class 0: tops 0, 1
            0.05, 0.05, 0.10, 0.10, 0.30, 0.40,  // class 1: tops 5, 4
            0.20, 0.20, 0.20, 0.20, 0.10, 0.10,  // class 2: ties; tops 0, 1 by lower index
        ]
        #expect(FilterSelection.select(importance: table, filters: 6, classes: [0, 1], perClass: 2, cap: 6) == [0, 1, 4, 5])
        // Cap 3: scores 0:0.45, 1:0.35, 4:0.35, 5:0.45 -> 0 and 5, then 1 (lower index than 4).
        #expect(FilterSelection.select(importance: table, filters: 6, classes: [0, 1], perClass: 2, cap: 3) == [0, 1, 5])
        #expect(FilterSelection.select(importance: table, filters: 6, classes: [2], perClass: 3, cap: 3) == [0, 1, 2])
    }
}
