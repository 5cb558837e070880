import HookbayJSON
import Testing

@Suite struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func parsesEveryKind() throws {
        let value = try parse(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "d\n\u00e9\ud83d\ude00"}} "#)
        #expect(value["a"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
        #expect(value.value(atPath: "b.c") == .string("d\né😀"))
    }

    @Test(arguments: [
        ("", "empty body"),
        ("{", "unterminated"),
        (#"{"a":1,}"#, "expected a string key"),
        (#"{"a":1}x"#, "unexpected data after"),
        (#"{"a":1,"a":2}"#, "duplicate key \"a\""),
        ("[01]", "leading zeros"),
        ("[1.]", "digits expected after '.'"),
        (#"["\x"]"#, "invalid escape"),
        (#"["\ud800"]"#, "unpaired UTF-16 surrogate"),
        ("[tru]", "invalid literal"),
        ("[\"a\u{01}\"]", "unescaped control character"),
    ])
    func refuses(text: String, message: String) {
        #expect {
            try parse(text)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func refusesDeepNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect { try parse(deep) } throws: { "\($0)".contains("nested deeper") }
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(throws: Never.self) { try parse(ok) }
    }

    @Test func refusesHugeNumbers() {
        #expect { try parse("[" + String(repeating: "9", count: 10_000) + "]") } throws: { "\($0)".contains("number longer") }
    }
}
