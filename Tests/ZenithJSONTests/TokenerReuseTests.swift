import Testing
import ZenithJSON

/// Parses at the default depth on one thread share its json-c tokener (`ThreadTokener`): what
/// one parse leaves in it, an error half-way included, must not reach the next.
@Suite struct TokenerReuseTests {
    static let valid = #"{"inputs": [{"name": "input", "shape": [1, 2], "data": [0.5, -1]}]}"#
    static let broken = [
        #"{"a": [1, 2"#, "", "{a: 1}", #"{"a": 1} x"#, "[1, 2,]", #"{"a": NaN}"#, "7", "nul",
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ]

    @Test func aFailedParseLeavesNothingForTheNext() throws {
        let expected = try JSONValue(parsing: Self.valid)
        for text in Self.broken {
            _ = try? JSONValue(parsing: text)
            #expect(try JSONValue(parsing: Self.valid) == expected, "after \(text.prefix(20).debugDescription)")
            _ = try? JSONDocument(parsing: Array(text.utf8))
            #expect(try JSONDocument(parsing: Array(Self.valid.utf8)).rootNode.value() == expected)
        }
        // The depth limit holds on a reused tokener as on a new one.
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONError.self) { try JSONValue(parsing: deep) }
        let allowed = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        _ = try JSONValue(parsing: allowed)
    }

    @Test func parsesOnManyThreadsAtOnce() async throws {
        let expected = try JSONValue(parsing: Self.valid)
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var wrong = 0
                    for round in 0..<200 {
                        _ = try? JSONValue(parsing: Self.broken[(worker + round) % Self.broken.count])
                        if (try? JSONValue(parsing: Self.valid)) != expected { wrong += 1 }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}
