import Testing

@testable import HookbayJSON

/// The canonical form read from a document's bytes (``CanonicalJSON/encode(valueAt:in:)``) is the tree's, byte for
/// byte, and a document the parser refuses is never read outside its bytes.
@Suite struct JSONTapeTests {
    static let documents = [
        #"{}"#, #"[]"#, #"0"#, #""s""#, #"null"#, #"  [ 1 , -2.5e+3 , true , false , null ]  "#,
        #"{"b": 1, "a": {"d": [], "c": {}}, "": "empty", "ab": "x"}"#,
        // Escaped and non-ASCII keys sort by their text's bytes: "\u00e9" is "é" (C3 A9), after "f"; "e\u0301" (a
        // combining accent) before it, in an object of its own (a String equals "é").
        #"{"\u00e9": 1, "f": 2, "\u0061b": 4, "a": 5, "\ud83d\ude00": 6, "\uffff": 7, "\"": 8, "\\": 9, "é\n": 10}"#,
        #"{"f": 2, "e\u0301": 3, "e": 1, "ë": 4}"#,
        // Strings: escapes written minimally, "/" unescaped, control characters as \u00XX, non-ASCII as it is.
        #"["a\/b", "tab\there", "\u0001\u001f", "quote\"back\\slash", "é ü 😀", "\u00e9", "plain"]"#,
        // Numbers as written.
        #"[0, -0, 1.50, 1E5, 1e-0, -12.000e+10, 123456789012345678901234567890]"#,
        "{\n\t\"nested\" :\r\n [ { \"z\" : { \"y\" : [ [ { \"x\" : 1 , \"w\" : 2 } ] ] } } ] \n}",
        #"{"K": 1, "k": 2, "\u212a": "kelvin is its own key in bytes, but equal to K as a String"}"#,
    ]

    @Test(arguments: Self.documents)
    func theWholeDocumentIsTheTreesCanonicalForm(_ document: String) throws {
        let bytes = Array(document.utf8)
        guard let tree = try? JSONParser.parse(bytes) else {
            // The Kelvin document: the parser refuses it (two keys equal as Strings); only the tape's safety matters.
            #expect(document.contains("kelvin"))
            _ = CanonicalJSON.encode(valueAt: [], in: bytes)
            return
        }
        let fromTape = try #require(CanonicalJSON.encode(valueAt: [], in: bytes))
        #expect(String(decoding: fromTape, as: UTF8.self) == String(decoding: CanonicalJSON.encode(tree), as: UTF8.self))
    }

    @Test func pointersWalkAsTheTreesDo() throws {
        let document = #"""
            {"payload": {"items": [{"b": 2, "a": 1}, [3, {"y": "\u0079", "x": null}]], "a/b": {"~": true}},
             "\u0070ay": {"z": 0}, "K": {"k": 1}, "list": [10, 11, 12]}
            """#
        let bytes = Array(document.utf8)
        let tree = try JSONParser.parse(bytes)
        let pointers = [
            "", "/payload", "/payload/items", "/payload/items/0", "/payload/items/1/1", "/payload/a~1b", "/payload/a~1b/~0",
            "/pay", "/K", "/K/k", "/list/2", "/list/3", "/list/-1", "/list/01", "/list/+1", "/list/-0", "/list/ 1", "/list/1 ", "/missing",
            "/payload/items/x",
            "/list/0/deeper", "/\u{212A}",
        ]
        for pointer in pointers {
            let tokens = try #require(JSONValue.pointerTokens(pointer))
            #expect(
                CanonicalJSON.encode(valueAt: tokens, in: bytes) == tree.value(atPointer: pointer).map(CanonicalJSON.encode),
                "\(pointer)")
        }
    }

    @Test func whatCannotBeIndexedIsNil() {
        for document in [
            "", "   ", "{", "[1, 2", #"{"a": 1]"#, #"["a"#, #"["a\"#, #"["a\""#, "[\"a\u{1}\"]", #"{"a"}"#, #"{1: 2}"#, #"{"a": 1, "b"}"#,
        ] {
            #expect(CanonicalJSON.encode(valueAt: [], in: Array(document.utf8)) == nil, "\(document)")
        }
        // As deep as the parser accepts, no deeper.
        let deep = String(repeating: "[", count: JSONParser.maxDepth + 1) + String(repeating: "]", count: JSONParser.maxDepth + 1)
        #expect(CanonicalJSON.encode(valueAt: [], in: Array(deep.utf8)) == nil)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(deep.utf8)) }
        let deepest = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(CanonicalJSON.encode(valueAt: [], in: Array(deepest.utf8)) == Array(deepest.utf8))
    }

    @Test func everyPrefixAndSplitOfADocumentIsReadSafely() throws {
        // Whatever the bytes, the tape reads none outside them and answers; where the parser accepts, the same bytes.
        let document = Array(Self.documents[7].utf8) + Array(Self.documents[11].utf8)
        for end in 0...document.count {
            let prefix = Array(document[..<end])
            let answer = CanonicalJSON.encode(valueAt: [], in: prefix)
            if let tree = try? JSONParser.parse(prefix) { #expect(answer == CanonicalJSON.encode(tree)) }
        }
    }
}
