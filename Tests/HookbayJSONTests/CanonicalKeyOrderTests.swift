import HookbayJSON
import Testing

/// Canonical JSON's key order is by UTF-8 bytes, whatever Swift's `String` ordering says.
@Suite struct CanonicalKeyOrderTests {
    @Test func keysSortByTheirUTF8Bytes() throws {
        // "é" precomposed (C3 A9) sorts after "f" by bytes, and "e" + a combining accent (65 CC 81) before it, though
        // `String` orders them otherwise; U+FFFF (EF BF BF) sorts before U+10000 (F0 90 80 80); a prefix before what
        // it starts. (The two spellings of "é" are one key to a `Dictionary`: each goes in its own object.)
        let keys = ["b", "a", "\u{E9}", "f", "", "ab", "\u{10000}", "\u{FFFF}", "A", "a\u{0}", "z", "\u{7F}", "e\u{301}x"]
        let members = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, JSONValue.number(String($0))) })
        let encoded = String(decoding: CanonicalJSON.encode(.object(members)), as: UTF8.self)
        let expected = keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let order = try JSONParser.parse(Array(encoded.utf8))
        #expect(expected.first == "" && expected.last == "\u{10000}")
        // Read the keys back in the order written.
        var written: [String] = []
        var rest = Substring(encoded)
        for key in expected {
            let quoted = CanonicalJSON.quoted(key) + ":"
            guard let range = rest.range(of: quoted) else { break }
            written.append(key)
            rest = rest[range.upperBound...]
        }
        #expect(written == expected, "\(encoded)")
        #expect(order == .object(members))
    }
}
