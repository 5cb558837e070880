import Testing

@testable import HookbayJSON

/// RFC 6901 pointers as platform files write them: split and unescaped by Unicode scalars, arrays indexed by digits.
@Suite struct JSONPointerTests {
    @Test func tokensAreSplitAndUnescapedByScalars() {
        #expect(JSONValue.pointerTokens("") == [])
        #expect(JSONValue.pointerTokens("/") == [""])
        #expect(JSONValue.pointerTokens("/a/b") == ["a", "b"])
        #expect(JSONValue.pointerTokens("//a/") == ["", "a", ""])
        #expect(JSONValue.pointerTokens("/a~1b/c~0d/~01/~10/~~1/~") == ["a/b", "c~d", "~1", "/0", "~/", "~"])
        // A token that starts with a combining mark is one Character with the "/" before it, and still a token.
        #expect(JSONValue.pointerTokens("/\u{20D4}00/\u{301}") == ["\u{20D4}00", "\u{301}"])
        #expect(JSONValue.isValidPointer("/\u{301}x"))
        #expect(JSONValue.pointerTokens("a/b") == nil)
        #expect(JSONValue.pointerTokens("\u{301}/a") == nil)
        #expect(!JSONValue.isValidPointer("a"))
    }

    @Test func dottedPathsAreSplitByScalars() throws {
        #expect(JSONValue.pathKeys("a.b..c") == ["a", "b", "", "c"])
        #expect(JSONValue.pathKeys("a.\u{301}b") == ["a", "\u{301}b"])
        let document = try JSONParser.parse(Array(#"{"a": {"\u0301b": 1}}"#.utf8))
        #expect(document.value(atPath: "a.\u{301}b") == .number("1"))
    }

    @Test func arraysAreIndexedByDigitsOnly() throws {
        let document = try JSONParser.parse(Array(#"{"list": [10, 11, 12], "\u20d400": [1], "́": 2}"#.utf8))
        #expect(document.value(atPointer: "/list/0") == .number("10"))
        #expect(document.value(atPointer: "/list/2") == .number("12"))
        for pointer in [
            "/list/3", "/list/+1", "/list/-0", "/list/01", "/list/ 1", "/list/1 ", "/list/-1", "/list/１", "/list/", "/list/99999999999999999999",
        ] {
            #expect(document.value(atPointer: pointer) == nil, "\(pointer)")
        }
        #expect(document.value(atPointer: "/\u{20D4}00/0") == .number("1"))
        #expect(document.value(atPointer: "/\u{301}") == .number("2"))
    }
}
