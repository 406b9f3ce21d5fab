import Testing
import ZenithJSON

@Suite struct JSONWriterTests {
    /// Written member by member, the text is the one the tree of the same values serialises to,
    /// commas and escapes included, and it parses back to that tree.
    @Test func writesWhatTheTreeWould() throws {
        var json = JSONWriter()
        json.beginObject()
        json.key("name")
        json.string("a \"quoted\"\tname")
        json.key("shape")
        json.beginArray()
        json.int(2)
        json.int(10)
        json.endArray()
        json.key("empty")
        json.beginArray()
        json.endArray()
        json.key("nested")
        json.beginObject()
        json.key("ok")
        json.bool(true)
        json.key("x")
        json.double(0.25)
        json.key("nan")
        json.double(.nan)
        json.endObject()
        json.key("tail")
        json.value(["k": [1, "v"]])
        json.endObject()

        let tree: JSONValue = [
            "name": "a \"quoted\"\tname", "shape": [2, 10], "empty": [],
            "nested": ["ok": true, "x": 0.25, "nan": .double(.nan)], "tail": ["k": [1, "v"]],
        ]
        #expect(String(decoding: json.bytes, as: UTF8.self) == tree.serialized())
        let parsed = try JSONValue(parsing: json.bytes)
        #expect(parsed["nested"]?["nan"] == .null)
        #expect(parsed["shape"] == [2, 10])
        #expect(parsed["name"] == "a \"quoted\"\tname")
    }

    /// Values in a row inside an array get one comma each, whatever they are.
    @Test func separatesEveryKindOfElement() throws {
        var json = JSONWriter()
        json.beginArray()
        json.string("s")
        json.beginObject()
        json.endObject()
        json.int(1)
        json.beginArray()
        json.endArray()
        json.bool(false)
        json.endArray()
        #expect(String(decoding: json.bytes, as: UTF8.self) == #"["s",{},1,[],false]"#)
    }
}
