import Testing
import ZenithJSON

@Suite struct JSONDocumentTests {
    @Test func navigatesWithoutConvertingEverything() throws {
        let document = try JSONDocument(parsing: Array(#"{"a": {"b": [1, "x"]}, "n": null, "t": true}"#.utf8))
        let root = document.rootNode
        #expect(root.kind == .object)
        #expect(root.keys == ["a", "n", "t"])
        #expect(root["a"]?["b"]?.elements?.count == 2)
        #expect(try root["a"]?["b"]?.elements?[1].value() == "x")
        #expect(root["n"]?.kind == .null)
        #expect(root["missing"] == nil)
        #expect(root["a"]?["b"]?["c"] == nil)
        #expect(try root["t"]?.value() == true)
    }

    @Test func readsArraysAndKeysInPlace() throws {
        let document = try JSONDocument(parsing: Array(#"{"k": [1, [2]], "shared_memory_region": 1, "z": 2}"#.utf8))
        let root = document.rootNode
        #expect(root["k"]?.count == 2)
        #expect(try root["k"]?[0]?.value() == 1)
        #expect(root["k"]?[1]?.count == 1)
        #expect(root["k"]?[2] == nil)
        #expect(root["k"]?[-1] == nil)
        #expect(root.count == nil)
        #expect(root[0] == nil)
        #expect(root.firstKey(withPrefix: "shared_memory") == "shared_memory_region")
        #expect(root.firstKey(withPrefix: "shared_memory_regions") == nil)
        #expect(root.firstKey(withPrefix: "") == "k")
        #expect(root["k"]?.firstKey(withPrefix: "k") == nil)
    }

    @Test(arguments: ["[1, NaN]", #"{"a": {"b": [Infinity]}}"#, "[-Infinity]"])
    func validateThrowsWhatConvertingThrows(text: String) throws {
        let node = try JSONDocument(parsing: Array(text.utf8)).rootNode
        let converting = #expect(throws: JSONError.self) { try node.value() }
        let validating = #expect(throws: JSONError.self) { try node.validate() }
        #expect(converting == validating)
    }

    @Test func validateAcceptsWhatConvertingAccepts() throws {
        let node = try JSONDocument(parsing: Array(#"{"a": [1, 2.5, null, "x", {"b": false}]}"#.utf8)).rootNode
        try node.validate()
        _ = try node.value()
    }

    @Test func parsesSlicesAndNonContiguousCollections() throws {
        let bytes = Array(#"xx{"a": 1}yy"#.utf8)
        #expect(try JSONDocument(parsing: bytes[2..<10]).rootNode["a"]?.value() == 1)
        // A collection without contiguous storage is copied first.
        #expect(try JSONValue(parsing: Array(#"{"a": 1}"#.utf8).lazy.map { $0 }) == ["a": 1])
        #expect(throws: JSONError.self) { try JSONDocument(parsing: bytes[2..<11]) }
    }

    @Test func appendsNestedNumbersRowMajor() throws {
        let document = try JSONDocument(parsing: Array("[[1, 2.5], [[-3], 4e-1], []]".utf8))
        var floats: [Float] = [7]
        let count = try document.rootNode.appendFloats(to: &floats, limit: 4)
        #expect(count == 4)
        #expect(floats == [7, 1, 2.5, -3, 0.4])
    }

    @Test(arguments: [
        ("[1, \"2\"]", JSONFloatsError.notANumber(index: 1, found: .string)),
        ("[[1], [true]]", .notANumber(index: 1, found: .bool)),
        ("[null]", .notANumber(index: 0, found: .null)),
        ("[{}]", .notANumber(index: 0, found: .object)),
        ("[1, NaN]", .notFinite(index: 1)),
        ("[Infinity]", .notFinite(index: 0)),
        ("[3.4e38, 3.5e38]", .notFinite(index: 1)),
        ("[0.5, " + String(repeating: "9", count: 400) + "]", .integerOutOfRange(index: 1)),
        ("[-99999999999999999999]", .integerOutOfRange(index: 0)),
        ("[1, 2, 3, 4]", .tooMany(limit: 3)),
        ("5 ", .notAnArray(found: .int)),
        ("{\"a\": 1}", .notAnArray(found: .object)),
    ])
    func rejectsWhatIsNotAFloatArray(text: String, error: JSONFloatsError) throws {
        let document = try JSONDocument(parsing: Array(text.utf8))
        var floats: [Float] = []
        #expect(throws: error) { try document.rootNode.appendFloats(to: &floats, limit: 3) }
    }

    @Test func parseErrorsAreTheSameAsJSONValues() {
        #expect(throws: JSONError.self) { try JSONDocument(parsing: Array("{\"a\": [1, 2".utf8)) }
        #expect(throws: JSONError.self) { try JSONDocument(parsing: Array("[1] x".utf8)) }
    }
}
