import Foundation
import HTTPTypes
import HookbayJSON
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// Real platforms by YAML alone: GitHub, Stripe and Standard Webhooks deliveries through the whole server, with the
/// generic adapter and envelope mapping.
@Suite struct SchemeReceiveTests {
    static func app(_ yaml: String, environment: [String: String], workers: Int = 1) throws -> (some ApplicationProtocol, Gateway) {
        let dir = try Fixtures.configDirectory(["p.yaml": yaml])
        return try buildApplication(
            configuration: Fixtures.gateway(configDirectory: dir, redisURL: nil, workers: workers),
            environment: environment, logger: Fixtures.logger)
    }

    static func post(_ client: some TestClientProtocol, _ platform: String, body: String, headers: [(String, String)]) async throws -> TestResponse {
        var fields: HTTPFields = [.contentType: "application/json"]
        for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return try await client.execute(uri: "/api/v1/webhooks/\(platform)", method: .post, headers: fields, body: ByteBuffer(string: body))
    }

    static var now: Int64 { WallClock.milliseconds() / 1000 }

    @Test func githubDelivery() async throws {
        let yaml = """
            platform: gh
            adapter: generic
            adapter_config: { content_id: repository.full_name, title: repository.description }
            secret_env: GH_SECRET
            signature: { scheme: github }
            envelope:
              event_type: { header: X-GitHub-Event }
              event_id: { header: X-GitHub-Delivery }
              payload: { json: "" }
            event_types: { push: content_updated }
            """
        let (app, gateway) = try Self.app(yaml, environment: ["GH_SECRET": "gh-secret"])
        try await app.test(.live) { client in
            let body = #"{"ref":"refs/heads/main","repository":{"full_name":"acme/site","description":"The site"}}"#
            let signature = "sha256=" + hmacHex(Array(body.utf8), key: Array("gh-secret".utf8))
            let headers = [
                ("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"), ("X-Hub-Signature-256", signature),
            ]
            let first = try await Self.post(client, "gh", body: body, headers: headers)
            #expect(first.status == .accepted)
            // GitHub re-serialises a redelivery: other bytes, same delivery id → a duplicate.
            let reserialised = #"{"repository":{"description":"The site","full_name":"acme/site"},"ref":"refs/heads/main"}"#
            let again = try await Self.post(
                client, "gh", body: reserialised,
                headers: [
                    headers[0], headers[1],
                    ("X-Hub-Signature-256", "sha256=" + hmacHex(Array(reserialised.utf8), key: Array("gh-secret".utf8))),
                ])
            #expect(again.status == .ok)
            #expect(try ReceiveClient.json(again)["event_id"] == ReceiveClient.json(first)["event_id"])
            // Unknown event type, missing event header, bad signature.
            try ReceiveClient.expectError(
                try await Self.post(client, "gh", body: body, headers: [("X-GitHub-Event", "star"), headers[1], headers[2]]),
                .badRequest, "invalid_payload", contains: "event type 'star'")
            try ReceiveClient.expectError(
                try await Self.post(client, "gh", body: body, headers: [headers[1], headers[2]]),
                .badRequest, "invalid_payload", contains: "X-GitHub-Event is missing")
            try ReceiveClient.expectError(
                try await Self.post(
                    client, "gh", body: body,
                    headers: [headers[0], headers[1], ("X-Hub-Signature-256", "sha256=" + String(repeating: "0", count: 64))]),
                .unauthorized, "invalid_signature")
            #expect(try await eventually { try await gateway.store.content(platform: "gh", contentID: "acme/site")?.title == "The site" })
        }
    }

    @Test func stripeDelivery() async throws {
        let yaml = """
            platform: stripe
            adapter: generic
            adapter_config: { content_id: data.object.id, title: data.object.name }
            secret_env: [STRIPE_NEW, STRIPE_OLD]
            signature: { scheme: stripe, tolerance_seconds: 300 }
            envelope:
              event_type: { json: /type }
              event_id: { json: /id }
              payload: { json: "" }
              timestamp: { json: /created }
            event_types: { product.created: content_added }
            """
        let (app, gateway) = try Self.app(yaml, environment: ["STRIPE_NEW": "whsec_new", "STRIPE_OLD": "whsec_old"])
        try await app.test(.live) { client in
            let now = Self.now
            let body = #"{"id":"evt_1","type":"product.created","created":\#(now),"data":{"object":{"id":"prod_9","name":"Plan"}}}"#
            func header(_ t: Int64, _ key: String) -> (String, String) {
                ("Stripe-Signature", "t=\(t),v1=\(hmacHex(Array("\(t).".utf8) + Array(body.utf8), key: Array(key.utf8)))")
            }
            // Signed with the old secret during rotation: accepted.
            #expect(try await Self.post(client, "stripe", body: body, headers: [header(now, "whsec_old")]).status == .accepted)
            // A replay outside the window.
            try ReceiveClient.expectError(
                try await Self.post(client, "stripe", body: body, headers: [header(now - 3600, "whsec_new")]),
                .unauthorized, "invalid_signature", contains: "timestamp is out of range")
            #expect(try await Self.post(client, "stripe", body: body, headers: [header(now, "whsec_wrong")]).status == .unauthorized)
            #expect(try await eventually { try await gateway.store.content(platform: "stripe", contentID: "prod_9")?.title == "Plan" })
            let row = try #require(try await gateway.store.content(platform: "stripe", contentID: "prod_9"))
            #expect(row.eventTime == now * 1000)
        }
    }

    @Test func standardWebhooksDelivery() async throws {
        let yaml = """
            platform: sw
            adapter: generic
            adapter_config: { content_id: data.id }
            secret_env: SW_SECRET
            signature: { scheme: standard-webhooks }
            envelope:
              event_type: { json: /type }
              event_id: { header: webhook-id }
              payload: { json: "" }
              timestamp: { header: webhook-timestamp }
            event_types: { content.created: content_added }
            """
        let secretText = Signing.standardWebhooksVectorSecret
        let (app, gateway) = try Self.app(yaml, environment: ["SW_SECRET": secretText])
        try await app.test(.live) { client in
            let body = #"{"type":"content.created","data":{"id":"sw-1"}}"#
            let verifier = SignatureVerifier(signature: .init(scheme: .standardWebhooks), secrets: [secret(secretText)])
            let headers = verifier.headers(for: Array(body.utf8), now: Self.now, deliveryID: "msg_live_1")
            #expect(try await Self.post(client, "sw", body: body, headers: headers).status == .accepted)
            #expect(try await Self.post(client, "sw", body: body, headers: headers).status == .ok)
            let stale = verifier.headers(for: Array(body.utf8), now: Self.now - 1000, deliveryID: "msg_live_2")
            try ReceiveClient.expectError(
                try await Self.post(client, "sw", body: body, headers: stale), .unauthorized, "invalid_signature", contains: "out of range")
            #expect(try await eventually { try await gateway.store.content(platform: "sw", contentID: "sw-1") != nil })
        }
    }

    @Test func seedSchemeMaxAge() async throws {
        let yaml = Fixtures.platformYAML(id: "netflix", extra: "signature: { max_age_seconds: 600 }")
        let (app, _) = try Self.app(yaml, environment: Fixtures.environment, workers: 0)
        try await app.test(.router) { client in
            let fresh = Fixtures.envelope(platform: "netflix", timestamp: ISO8601DateFormatter().string(from: Date()))
            #expect(try await ReceiveClient.post(client, body: fresh).status == .accepted)
            let old = Fixtures.envelope(platform: "netflix", contentID: "2", timestamp: "2020-01-01T00:00:00Z")
            try ReceiveClient.expectError(
                try await ReceiveClient.post(client, body: old), .unauthorized, "invalid_signature", contains: "timestamp is out of range")
            let garbled = Fixtures.envelope(platform: "netflix", contentID: "3", timestamp: "yesterday")
            try ReceiveClient.expectError(try await ReceiveClient.post(client, body: garbled), .badRequest, "invalid_payload", contains: "RFC 3339")
        }
    }

    @Test func envelopeConfigRefusals() {
        let loader = PlatformFileParser(environment: Fixtures.environment)
        for (extra, key, message) in [
            ("envelope: { event_type: { cookie: x } }", "envelope.event_type.cookie", "unknown key"),
            ("envelope: { event_type: { header: X, json: /a } }", "envelope.event_type", "exactly one of header or json"),
            ("envelope: { payload: { header: X } }", "envelope.payload", "must come from the body"),
            ("envelope: { timestamp: { json: a/b } }", "envelope.timestamp.json", "not a JSON pointer"),
            ("signature: { scheme: github, prefix: x }", "signature.prefix", "only applies to schemes hmac-sha256, hmac"),
            ("signature: { scheme: stripe, max_age_seconds: 5 }", "signature.max_age_seconds", "only applies"),
        ] {
            #expect {
                try loader.parse(yaml: Fixtures.platformYAML(id: "a", extra: extra), file: "a.yaml")
            } throws: { error in
                (error as? PlatformFileError)?.problems.contains { $0.key == key && $0.message.contains(message) } == true
            }
        }
    }

    @Test func jsonPointers() throws {
        let doc = try JSONParser.parse(Array(#"{"a":{"b/c":[10,{"d~e":true}]},"":1}"#.utf8))
        #expect(doc.value(atPointer: "") == doc)
        #expect(doc.value(atPointer: "/a/b~1c/0") == .number("10"))
        #expect(doc.value(atPointer: "/a/b~1c/1/d~0e") == .bool(true))
        #expect(doc.value(atPointer: "/") == .number("1"))
        #expect(doc.value(atPointer: "/a/b~1c/2") == nil)
        #expect(doc.value(atPointer: "/a/b~1c/01") == nil)
        #expect(doc.value(atPointer: "a") == nil)
    }

    @Test func signCommandPrintsWorkingHeaders() async throws {
        let dir = try Fixtures.configDirectory([
            "sw.yaml": """
            platform: sw
            secret_env: SW_SECRET
            signature: { scheme: standard-webhooks }
            """, "body.json": #"{"x":1}"#,
        ])
        let result = try await HookbayProcess.runToEnd(
            ["sign", "--config-dir", dir, "--platform", "sw", "--file", dir + "/body.json"],
            environment: ["SW_SECRET": Signing.standardWebhooksVectorSecret])
        #expect(result.status == 0, "\(result.output)")
        var headers: [String: String] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { headers[parts[0]] = parts[1] }
        }
        let verifier = SignatureVerifier(signature: .init(scheme: .standardWebhooks), secrets: [secret(Signing.standardWebhooksVectorSecret)])
        try verify(verifier, headers, body: Array(#"{"x":1}"#.utf8), now: WallClock.milliseconds() / 1000)
        #expect(!result.output.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    }
}
