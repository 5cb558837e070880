import Testing

@testable import Hookbay

/// HTTP's optional whitespace (spaces and tabs) trimmed around header values, nothing else.
@Suite struct OptionalWhitespaceTests {
    @Test func spacesAndTabsAroundGoOtherCharactersStay() {
        #expect("  gzip\t".trimmingOWS == "gzip")
        #expect("gzip".trimmingOWS == "gzip")
        #expect("".trimmingOWS == "")
        #expect(" \t \t".trimmingOWS == "")
        #expect(" a b ".trimmingOWS == "a b")
        #expect("\u{A0}t=1\u{A0}".trimmingOWS == "\u{A0}t=1\u{A0}")
        #expect(" é ".trimmingOWS == "é")
        let parts = "x, v1=ab ,".split(separator: ",")
        #expect(parts.map(\.trimmingOWS) == ["x", "v1=ab"])
    }
}
