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
