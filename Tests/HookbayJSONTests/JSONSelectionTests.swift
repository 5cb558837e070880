@_spi(Testing) import HookbayJSON
import Testing

/// A selective parse (``JSONParser/parse(_:keeping:)``) refuses exactly what the whole parse refuses, with the same
/// message at the same byte, and keeps what its selection names.
@Suite struct JSONSelectionTests {
    static func error(_ text: String, _ selection: JSONSelection?) -> JSONParseError? {
        do {
            _ = try JSONParser.parse(Array(text.utf8), keeping: selection)
            return nil
        } catch {
            return error
        }
    }

    static let manyKeys = (0..<40).map { "\"k\($0)\": \($0)" }.joined(separator: ", ")
    /// Keys of one length that differ in their first byte only.
    static let sameTail = (65..<95).map { "\"\(Character(Unicode.Scalar(UInt8($0))))abcd\": \($0)" }.joined(separator: ", ")
    static let manyKeysAndKelvin = (0..<40).map { "\"x\($0)\": \($0)" }.joined(separator: ", ") + ", \"K\": 1"

    @Test(arguments: [
        "",
        "{",
        #"{"skip": {"a": 1, "a": 2}}"#,
        #"{"skip": {"a": 1, "b": {"c": 1, "c": 2}, "a": 2}}"#,
        #"{"skip": {\#(manyKeys), "k17": 0}}"#,
        #"{"skip": {\#(manyKeys)}, "keep": {\#(manyKeys), "k3": 1}}"#,
        #"{"skip": {"a": 1, "\u0061": 2}}"#,
        #"{"skip": {\#(manyKeys), "k\u0031\u0037": 0}}"#,
        #"{"skip": {\#(sameTail), "Sabcd": 0}}"#,
        "{\"skip\": {\(manyKeysAndKelvin), \"\u{212A}\": 2}}",
        "{\"keep\": {\"x\": 1, \(manyKeysAndKelvin), \"\u{212A}\": 2}}",
        "{\"skip\": {\"K\": 1, \"\u{212A}\": 2}}",
        "{\"skip\": {\"\u{e9}\": 1, \"e\u{301}\": 2}}",
        #"{"skip": {"\u00e9": 1, "é": 2, "x": 3}}"#,
        #"{"skip": [1, 2, {"x": [01]}]}"#,
        #"{"skip": [1.]}"#,
        #"{"skip": "\x"}"#,
        #"{"skip": "\ud800"}"#,
        #"{"skip": "\udc00"}"#,
        #"{"skip": "\ud800\u0041"}"#,
        #"{"skip": "\u12"}"#,
        "{\"skip\": \"a\u{01}b\"}",
        "{\"skip\": [tru]}",
        "{\"skip\": [nul, 1]}",
        #"{"skip": {"a" 1}}"#,
        #"{"skip": {1: 1}}"#,
        #"{"skip": [1 2]}"#,
        #"{"skip": {"a": 1,}}"#,
        #"{"skip": "unterminated}"#,
        #"{"keep": 1, "keep": 2}"#,
        #"{"keep": {"x": 1}, "skip": 1} x"#,
        "{\"skip\": " + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}",
        "{\"skip\": " + String(repeating: "{\"a\":", count: 70) + "1" + String(repeating: "}", count: 70) + "}",
        "{\"keep\": {\"x\": " + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "}}",
        "{\"skip\": 1\(String(repeating: "0", count: 70))}",
    ])
    func refusesWhatTheWholeParseRefuses(text: String) {
        let whole = Self.error(text, nil)
        var selection = JSONSelection.nothing
        selection.touch(["keep", "x"])
        #expect(whole != nil, "every text here is refused: \(text)")
        for selection in [JSONSelection.nothing, selection, .everything] {
            #expect(Self.error(text, selection) == whole, "\(text)")
        }
        // Keys that collide in the table past a few probes are compared as strings: with no probe allowed, every
        // collision takes that way.
        if let whole { #expect(throws: whole) { try JSONParser.parse(Array(text.utf8), keeping: selection, maxProbes: 0) } }
    }

    @Test func invalidUTF8InASkippedStringIsRefused() {
        var bytes = Array(#"{"skip": "a"#.utf8)
        bytes += [0xC3, 0x28]
        bytes += Array(#""}"#.utf8)
        let whole = Result { () throws(JSONParseError) in try JSONParser.parse(bytes) }
        let part = Result { () throws(JSONParseError) in try JSONParser.parse(bytes, keeping: .nothing) }
        guard case .failure(let error) = whole, case .failure(let again) = part else {
            Issue.record("invalid UTF-8 was accepted")
            return
        }
        #expect(error == again)
    }

    /// Objects of more than eight distinct keys (checked through the hash table, reused from one object to the next)
    /// are accepted, and what is kept of them is the whole parse's.
    @Test func acceptsLargeObjectsOfDistinctKeys() throws {
        let objects = (0..<6).map { n in
            "\"o\(n)\": {" + (0..<(9 + n * 7)).map { "\"key\($0)\": [\($0), \"\u{e9}\($0)\"]" }.joined(separator: ", ") + "}"
        }
        let text =
            "{" + objects.joined(separator: ", ") + ", \"escaped\": {" + (0..<12).map { "\"k\\u00\(40 + $0)\": \($0)" }.joined(separator: ", ") + "}}"
        let whole = try JSONParser.parse(Array(text.utf8))
        var selection = JSONSelection.nothing
        selection.keep(["o3"])
        selection.touch(["o5", "key40"])
        selection.keep(["escaped"])
        let part = try JSONParser.parse(Array(text.utf8), keeping: selection)
        #expect(
            part == .object(["o3": whole["o3"]!, "o5": .object(["key40": whole.value(atKeys: ["o5", "key40"])!]), "escaped": whole["escaped"]!]))
        #expect(try JSONParser.parse(Array(text.utf8), keeping: .nothing) == .object([:]))
        #expect(try JSONParser.parse(Array(text.utf8), keeping: selection, maxProbes: 0) == part)
    }

    @Test func keepsWhatItNamesAndOnlyThat() throws {
        let text = #"""
            {"event": {"type": "push", "extra": [1, 2]}, "repository": {"id": 7, "owner": {"login": "o", "id": 1}, "topics": ["a", "b"]},
             "commits": [{"id": "c1"}], "n\u0061me": "x", "sender": {"login": "s"}, "big": {"a": {"b": {"c": 1}}}}
            """#
        var selection = JSONSelection.nothing
        selection.touch(["event", "type"])
        selection.touch(["repository", "owner"])
        selection.touch(["repository", "topics"])
        selection.touch(["commits", "0", "id"])
        selection.touch(["name"])
        selection.keep(["big"])
        selection.touch(["missing", "deeper"])
        let part = try JSONParser.parse(Array(text.utf8), keeping: selection)
        let whole = try JSONParser.parse(Array(text.utf8))
        #expect(
            part
                == .object([
                    "event": .object(["type": .string("push")]),
                    "repository": .object(["owner": .object([:]), "topics": .array([.string("a"), .string("b")])]),
                    "commits": whole["commits"]!,
                    "name": .string("x"),
                    "big": whole["big"]!,
                ]))
        #expect(part.value(atPointer: "/commits/0/id") == .string("c1"))
        #expect(try JSONParser.parse(Array(text.utf8), keeping: .everything) == whole)
        #expect(try JSONParser.parse(Array(text.utf8), keeping: .nothing) == .object([:]))
        #expect(try JSONParser.parse(Array("[1, {\"a\": 2}]".utf8), keeping: .nothing) == .array([.number("1"), .object(["a": .number("2")])]))
    }

    /// A name is matched as a dictionary of the whole tree would match it: by `String` equality, bytes aside.
    @Test func namesMatchKeysAsStringsDo() throws {
        var kelvin = JSONSelection.nothing
        kelvin.keep(["\u{212A}"])
        let plain = try JSONParser.parse(Array(#"{"K": 1, "x": 2}"#.utf8), keeping: kelvin)
        #expect(plain["\u{212A}"] == .number("1") && plain["x"] == nil)
        var letter = JSONSelection.nothing
        letter.keep(["K"])
        letter.keep(["y"])
        let escaped = try JSONParser.parse(Array(#"{"\u212A": 1, "x": 2, "y": 3}"#.utf8), keeping: letter)
        #expect(escaped["K"] == .number("1") && escaped["y"] == .number("3") && escaped["x"] == nil)
    }

    @Test func selectionsOfTheSameMembersAreEqual() {
        var a = JSONSelection.nothing
        var b = JSONSelection.nothing
        for name in ["x", "y", "z", "w"] { a.keep([name]) }
        for name in ["w", "z", "y", "x"] { b.keep([name]) }
        #expect(a == b)
    }

    @Test func keepingAValueCoversWhatIsTouchedBelowIt() {
        var first = JSONSelection.nothing
        first.touch(["a", "b"])
        first.keep(["a"])
        var second = JSONSelection.nothing
        second.keep(["a"])
        second.touch(["a", "b"])
        #expect(first == second)
        #expect(first.members["a"]?.whole == true)
        var root = JSONSelection.nothing
        root.keep([String]())
        #expect(root == .everything)
    }
}
