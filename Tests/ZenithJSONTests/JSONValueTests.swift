import Testing
import ZenithJSON

@Suite struct JSONValueTests {
    @Test func parsesNestedValuesKeepingKeyOrder() throws {
        let value = try JSONValue(parsing: #"{"b": [1, 2.5, "x\u00e9"], "a": {"t": true, "n": null}, "i": -7}"#)
        #expect(value.objectValue?.keys == ["b", "a", "i"])
        #expect(value["b"] == [1, 2.5, "xé"])
        #expect(value["a"]?["t"] == true)
        #expect(value["a"]?["n"] == .null)
        #expect(value["i"]?.intValue == -7)
        #expect(value["b"]?.arrayValue?[1].intValue == nil)
    }

    @Test func topLevelNullIsAValueNotAnError() throws {
        #expect(try JSONValue(parsing: " null ") == .null)
        #expect(try JSONValue(parsing: "{\"a\": 1} \n\t") == ["a": 1])
    }

    @Test(arguments: [
        (#"{"a": [1, 2"#, "truncated"),
        ("", "truncated"),
        ("{a: 1}", "invalid JSON"),
        (#"{"a": 1} x"#, "invalid JSON"),
        (#"[1, 2,]"#, "invalid JSON"),
        (#"{"a": NaN}"#, "invalid JSON"),
        (#"[-Infinity]"#, "invalid JSON"),
    ])
    func rejectsMalformedText(text: String, reason: String) {
        #expect {
            try JSONValue(parsing: text)
        } throws: { error in
            (error as? JSONError)?.reason.contains(reason) == true
        }
    }

    @Test func limitsNestingDepth() throws {
        let deep = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(throws: JSONError.self) { try JSONValue(parsing: deep, maxDepth: 5) }
        _ = try JSONValue(parsing: deep, maxDepth: 20)
    }

    @Test func serialisesShortestNumbersAndRoundTrips() throws {
        let value: JSONValue = ["x": 0.1, "n": 3, "s": "a/\"b\"", "l": [true, nil], "inf": .double(.infinity)]
        let text = value.serialized()
        #expect(text == #"{"x":0.1,"n":3,"s":"a/\"b\"","l":[true,null],"inf":null}"#)
        var expected = value.objectValue!
        expected["inf"] = .null
        #expect(try JSONValue(parsing: text) == .object(expected))
    }
}
