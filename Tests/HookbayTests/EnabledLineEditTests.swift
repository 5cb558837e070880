import Testing

@testable import Hookbay

/// `enabled:` switched by changing one line of a platform file, every other byte kept.
@Suite struct EnabledLineEditTests {
    static let file = "p.yaml"

    /// The lines of `before` and `after` that differ, as (before, after) pairs; lines added at the end pair with "".
    static func changedLines(_ before: String, _ after: String) -> [(String, String)] {
        let a = before.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = after.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return (0..<max(a.count, b.count)).compactMap { i in
            let x = i < a.count ? a[i] : ""
            let y = i < b.count ? b[i] : ""
            return x == y ? nil : (x, y)
        }
    }

    @Test func replacesTheValueWhereItStandsKeepingItsComment() throws {
        let text = "# the shop\nplatform: shop\nenabled:   true    # on since May\nadapter: netflix\nsignature:\n  enabled: true\n"
        let edited = try #require(try EnabledLineEdit.apply(false, to: text, file: Self.file))
        let changed = Self.changedLines(text, edited)
        #expect(changed.count == 1)
        #expect(changed.first?.0 == "enabled:   true    # on since May")
        #expect(changed.first?.1 == "enabled:   false    # on since May")
        // Back again gives the very same bytes.
        #expect(try EnabledLineEdit.apply(true, to: edited, file: Self.file) == text)
    }

    @Test func addsALineWhenTheFileHasNone() throws {
        let text = "platform: shop   # odd spacing\n\n# comment last\n"
        let edited = try #require(try EnabledLineEdit.apply(false, to: text, file: Self.file))
        #expect(edited == text + "enabled: false\n")
        // A last line without its newline gets one, and only that.
        let bare = "platform: shop"
        #expect(try EnabledLineEdit.apply(false, to: bare, file: Self.file) == "platform: shop\nenabled: false\n")
    }

    @Test func keepsWindowsLineEndings() throws {
        let text = "platform: shop\r\nenabled: true\r\nadapter: netflix\r\n"
        #expect(try EnabledLineEdit.apply(false, to: text, file: Self.file) == "platform: shop\r\nenabled: false\r\nadapter: netflix\r\n")
        let without = "platform: shop\r\nadapter: netflix\r\n"
        #expect(try EnabledLineEdit.apply(false, to: without, file: Self.file) == without + "enabled: false\r\n")
    }

    @Test func countsColumnsInCharactersNotBytes() throws {
        // Multi-byte text before the value on its own line, in a flow mapping.
        let flow = "{title: \"\u{00FC}\u{00FC}\u{1F600}\", enabled: true, platform: shop}\n"
        #expect(
            try EnabledLineEdit.apply(false, to: flow, file: Self.file) == "{title: \"\u{00FC}\u{00FC}\u{1F600}\", enabled: false, platform: shop}\n")
    }

    @Test func saysNothingToDoWhenTheFileAlreadySaysSo() throws {
        #expect(try EnabledLineEdit.apply(true, to: "platform: shop\nenabled: true\n", file: Self.file) == nil)
        #expect(try EnabledLineEdit.apply(false, to: "platform: shop\nenabled: false\n", file: Self.file) == nil)
    }

    @Test func refusesWhatOneLineCannotChange() {
        let cases = [
            "platform: shop\nenabled:\n  true\n", // the value on the next line
            "platform: shop\nenabled: !!bool true\n", // a tag before it
            "platform: shop\nenabled: \"true\"\n", // quoted: a string, not a plain boolean
            "{platform: shop}\n", // a flow mapping without the key
            "platform: shop\n...\n---\nother: 1\n", // more than one document: an added line lands in the second
            "- a list\n", // not a mapping at all
            "platform: [unclosed\n", // not YAML
        ]
        for text in cases {
            #expect(throws: EnabledLineEdit.Refusal.self, "\(text)") { try EnabledLineEdit.apply(false, to: text, file: Self.file) }
        }
    }

    @Test func findsTheValueByLibyamlPosition() {
        let text = "a: 1\nenabled: true\n"
        #expect(EnabledLineEdit.byteRange(of: "true", line: 2, column: 10, in: text) == 14..<18)
        #expect(EnabledLineEdit.byteRange(of: "true", line: 2, column: 9, in: text) == nil)
        #expect(EnabledLineEdit.byteRange(of: "true", line: 9, column: 1, in: text) == nil)
        #expect(EnabledLineEdit.byteRange(of: "true", line: 2, column: 40, in: text) == nil)
    }
}
