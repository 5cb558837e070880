import HookbayJSON
import HookbayPluginKit
import Testing

@testable import Hookbay

/// What the receive path builds of a body (``WebhookEnvelope/selection(for:schema:)``) answers every question the
/// envelope and the adapter's declared rules ask as the whole body does; and the whole payload, when something reads it,
/// is read from the body's bytes as the whole tree has it.
@Suite struct ReceiveSelectionTests {
    static let loader = PlatformFileParser(environment: ["SEL_SECRET": "selection-secret-0123456789"])

    static func platform(_ envelope: String, extra: String = "") throws -> PlatformConfig {
        try loader.parse(
            yaml: "platform: sel\nsecret_env: SEL_SECRET\nenvelope: \(envelope)\nevent_types: { push: content_updated }\n" + extra, file: "sel.yaml")
    }

    static let schema = PayloadSchema([
        .init("title", .string), .init("repo.name", .nonEmptyString, required: true, dotted: true), .init("tags", .stringArray),
        .init("owner", .object), .init("number", .id), .init("a.b", .string),
    ])

    static func verdict(_ payload: JSONValue) -> String? {
        do throws(AdapterError) {
            try schema.check(payload)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func theWholePayloadIsReadFromTheBytes() throws {
        // Whether the event id hashes the canonical payload (no delivery id, as in the seed's envelope) or the adapter
        // is handed it (no declared rules), the tree holds only what is read, and the canonical payload comes from the
        // body's bytes, as the whole tree's.
        let platforms = [
            try Self.platform(#"{ event_type: { header: X-Event }, payload: { json: "" } }"#),
            try Self.platform(#"{ event_type: { header: X-Event }, event_id: { header: X-Id }, payload: { json: /data } }"#),
            try Self.loader.parse(yaml: "platform: sel\nsecret_env: SEL_SECRET\nevent_types: { push: content_updated }\n", file: "sel.yaml"),
        ]
        let payload = #"{"title": "t", "repo": {"name": "r", "\u00e9": [1, {"b": 2, "a": 1}]}, "extra": {"z": 1, "y": [true, null]}}"#
        let bodies = [
            payload,
            #"{"data": \#(payload), "other": 1}"#,
            #"{"event_type": "push", "platform": "sel", "timestamp": "2025-12-06T00:00:00Z", "payload": \#(payload)}"#,
        ]
        let header = { (name: String) in ["X-Event": "push", "X-Id": "d-1"][name] }
        for (platform, body) in zip(platforms, bodies) {
            for schema in [Self.schema, nil] {
                let selection = WebhookEnvelope.selection(for: platform, schema: schema)
                let built = try WebhookEnvelope(body: Array(body.utf8), header: header, platform: platform, keeping: selection)
                let whole = try WebhookEnvelope(body: Array(body.utf8), header: header, platform: platform)
                #expect(built.payload["extra"] == nil && whole.payload["extra"] != nil, "what nothing reads is not built")
                let tokens = try #require(WebhookEnvelope.payloadTokens(for: platform))
                #expect(CanonicalJSON.encode(valueAt: tokens, in: Array(body.utf8)) == CanonicalJSON.encode(whole.payload))
            }
        }
    }

    @Test func theEnvelopeAndTheRulesReadTheSameFromWhatIsBuilt() throws {
        let platform = try Self.platform(
            "{ event_type: { json: /meta/type }, event_id: { json: /meta/ids/0 }, timestamp: { json: /meta/at }, payload: { json: /data/item } }",
            extra: "required_fields: [repo.id, flag]\n")
        let selection = WebhookEnvelope.selection(for: platform, schema: Self.schema)
        let base = #"""
            {"meta": {"type": "push", "ids": ["d-1", 2], "at": "2025-12-06T00:00:00Z", "more": {"x": 1}},
             "data": {"item": {"title": "t", "repo": {"name": "r", "id": 5, "other": [1]}, "flag": false, "tags": ["a"],
                      "owner": {"login": "o", "deep": {"a": 1}}, "number": 12, "a.b": "dotted name", "extra": {"big": [1, 2, 3]}},
                      "other": {"x": "y"}}}
            """#
        let variants: [(String, String)] = [
            ("", ""), (#""name": "r""#, #""name": """#), (#""name": "r""#, #""nam": "r""#), (#""name": "r""#, #""name": 7"#),
            (#""tags": ["a"]"#, #""tags": ["a", 1]"#), (#""owner": {"#, #""owner": "o", "was": {"#), (#""number": 12"#, #""number": 1.5"#),
            (#""number": 12"#, #""number": "n-12""#), (#""flag": false"#, #""flag": null"#), (#""id": 5"#, #""ix": 5"#),
            (#"["d-1", 2]"#, #"[null, 2]"#), (#"["d-1", 2]"#, #"[{"a": 1}]"#), (#""type": "push""#, #""type": "pull""#),
            (#""at": "2025-12-06T00:00:00Z""#, #""at": 5"#), (#""big": [1, 2, 3]"#, #""big": 1, "big": 2"#),
            (#""x": "y""#, #""x": "y", "x": "z""#), (#""title": "t""#, #""title": ["t"]"#), (#""a.b": "dotted name""#, #""a.b": {}"#),
            (#""item": {"#, #""item": [], "was": {"#), (#""deep": {"a": 1}"#, #""deep": {"a": 1, "\u0061": 2}"#),
            (#""more": {"x": 1}"#, #""more": {"x": 01}"#),
        ]
        for (old, new) in variants {
            let body = old.isEmpty ? base : base.replacingOccurrences(of: old, with: new)
            #expect(body != base || old.isEmpty, "\(old) is not in the body")
            let whole = Result { () throws(WebhookError) in try WebhookEnvelope(body: Array(body.utf8), platform: platform) }
            let part = Result { () throws(WebhookError) in try WebhookEnvelope(body: Array(body.utf8), platform: platform, keeping: selection) }
            switch (whole, part) {
            case (.failure(let error), .failure(let again)):
                #expect(error == again, "\(new)")
            case (.success(let envelope), .success(let built)):
                #expect(built.sourceEventType == envelope.sourceEventType && built.eventType == envelope.eventType, "\(new)")
                #expect(built.deliveryID == envelope.deliveryID && built.timestamp == envelope.timestamp, "\(new)")
                #expect(Self.verdict(built.payload) == Self.verdict(envelope.payload), "\(new)")
                #expect(built.payload["extra"] == nil && envelope.payload["extra"] != nil, "what nothing reads is not built")
            default:
                Issue.record("the built part and the whole body disagree on \(new): \(whole), \(part)")
            }
        }
    }
}
