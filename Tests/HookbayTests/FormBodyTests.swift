import Testing

@testable import Hookbay

/// `body_format: form`: a field of an `application/x-www-form-urlencoded` body.
@Suite struct FormBodyTests {
    static func field(_ name: String, _ body: String) throws(WebhookError) -> String {
        String(decoding: try FormBody.field(name, in: Array(body.utf8)), as: UTF8.self)
    }

    @Test func findsAndDecodesTheField() throws {
        #expect(try Self.field("payload", "payload=%7B%22a%22%3A%22b+c%22%7D") == #"{"a":"b c"}"#)
        #expect(try Self.field("payload", "x=1&payload=%7B%7D&y") == "{}")
        #expect(try Self.field("payload", "payload=") == "")
        #expect(try Self.field("pay load", "pay+load=1") == "1")
        #expect(try Self.field("payload", "payload=%e2%82%AC") == "€")
    }

    @Test func refusesWhatIsNotAFormField() {
        for body in ["", "x=1", "payload=1&payload=2", "payload=%", "payload=%4", "payload=%zz", "%g0=1&payload=1"] {
            #expect(throws: WebhookError.self, "\(body)") { try Self.field("payload", body) }
        }
    }
}
