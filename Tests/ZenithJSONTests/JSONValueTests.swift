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

    @Test func topLevelScalarsAreValues() throws {
        // json-c waits for more input after a top-level scalar; the whole body is there.
        #expect(try JSONValue(parsing: "1") == 1)
        #expect(try JSONValue(parsing: "true") == true)
        #expect(try JSONValue(parsing: "null") == .null)
        #expect(try JSONValue(parsing: "-1.5e3") == -1500.0)
        #expect(try JSONValue(parsing: "  7 \n") == 7)
        #expect(try JSONValue(parsing: #""x""#) == "x")
        for truncated in ["tru", "1e", "-", "{", #""ab"#, "  "] {
            #expect {
                try JSONValue(parsing: truncated)
            } throws: { error in
                (error as? JSONError)?.reason == "truncated JSON"
            }
        }
    }

    @Test func stringsMustBeUTF8() throws {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x28, 0x22], [0x22, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22]] {
            #expect {
                try JSONValue(parsing: bytes)
            } throws: { error in
                (error as? JSONError)?.reason.contains("invalid utf-8") == true
            }
        }
        #expect(try JSONValue(parsing: Array(#""\u00e9 é""#.utf8)) == "é é")
    }

    @Test func integersJSONCWouldClampAreRefused() throws {
        // json-c saturates integers beyond 64 bits without an error.
        for text in [String(repeating: "9", count: 400), "-" + String(repeating: "9", count: 400),
                     "18446744073709551616", "-9223372036854775809", "[1, 18446744073709551615]"] {
            #expect {
                try JSONValue(parsing: text)
            } throws: { error in
                (error as? JSONError)?.reason.contains("limits of 64 bits") == true
            }
        }
        #expect(try JSONValue(parsing: "9223372036854775807") == .int(.max))
        // Unsigned values past Int64 are kept, as doubles, so they are no integer Swift can take.
        let big = try JSONValue(parsing: "9223372036854775808")
        #expect(big == .double(9_223_372_036_854_775_808) && big.intValue == nil)
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

    /// Every control character is escaped, the usual ones by name; other UTF-8 passes as it is;
    /// json-c (the parser) reads back exactly what was written.
    @Test func escapesControlCharactersAndReadsBackThroughTheParser() throws {
        let odd = "tab\t nl\n cr\r bs\u{08} ff\u{0C} nul\u{00} esc\u{1B} del\u{7F} quote\" back\\ é 猫 🙂"
        let text = JSONValue.string(odd).serialized()
        #expect(text == "\"tab\\t nl\\n cr\\r bs\\b ff\\f nul\\u0000 esc\\u001b del\u{7F} quote\\\" back\\\\ é 猫 🙂\"")
        #expect(try JSONValue(parsing: text) == .string(odd))
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let characters = (0..<Int.random(in: 0...12, using: &rng)).map { _ in
                Character(Unicode.Scalar(UInt8.random(in: 0...0x7F, using: &rng)))
            }
            let string = String(characters)
            // json-c ends an object's key at a NUL (it keeps keys as C strings).
            let value: JSONValue = [
                "k\(string.filter { $0 != "\u{0}" })": .array([
                    .string(string), .int(.random(in: .min ... .max, using: &rng)),
                    .double(.random(in: -1e300...1e300, using: &rng)),
                ])
            ]
            #expect(try JSONValue(parsing: value.serialized()) == value)
        }
    }

    /// Pretty text: two spaces a level, a space after each colon, empty containers on one line.
    @Test func prettyTextIsIndentedByTwoSpaces() {
        let value: JSONValue = ["a": 1, "b": [true, ["c": nil]], "e": [:], "f": []]
        #expect(
            value.serialized(pretty: true) == """
                {
                  "a": 1,
                  "b": [
                    true,
                    {
                      "c": null
                    }
                  ],
                  "e": {},
                  "f": []
                }
                """)
    }
}
