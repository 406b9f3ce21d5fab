import Testing

@testable import ZenithControl

@Suite struct IDTableTests {
    @Test(arguments: [1, 2, 3])
    func agreesWithDictionaryThroughInsertsUpdatesAndRemovals(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var table = IDTable<Int>()
        var reference: [RequestID: Int] = [:]
        // Keys from a narrow range collide and form long probe runs; from a wide one they spread.
        for step in 0..<20_000 {
            let span: UInt64 = step % 2 == 0 ? 300 : .max
            let id = RequestID(random.next() % span)
            switch random.next() % 3 {
            case 0, 1:
                table[id] = step
                reference[id] = step
            default:
                #expect(table.removeValue(forKey: id) == reference.removeValue(forKey: id))
            }
            if step % 997 == 0 {
                #expect(table.count == reference.count)
                for (key, value) in reference { #expect(table[key] == value) }
            }
        }
        for (key, value) in reference { #expect(table[key] == value) }
        #expect(table.count == reference.count)
        for key in reference.keys { table[key] = nil }
        #expect(table.isEmpty)
        #expect(table[RequestID(1)] == nil)
    }

    @Test func sequentialIDsLikeTheServersSurviveGrowthAndRemovalInOrder() {
        var table = IDTable<UInt64>()
        for raw in UInt64(1)...5_000 { table[RequestID(raw)] = raw * 2 }
        #expect(table.count == 5_000)
        for raw in UInt64(1)...2_500 { #expect(table.removeValue(forKey: RequestID(raw)) == raw * 2) }
        #expect(table.count == 2_500)
        #expect(table[RequestID(2_500)] == nil && table[RequestID(2_501)] == 5_002 && table[RequestID(5_000)] == 10_000)
    }
}
