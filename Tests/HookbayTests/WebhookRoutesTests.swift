import Foundation
import HTTPTypes
import HookbayJSON
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import Hookbay

/// The receive path over the embedded queue, through the real router: every status code and error body.
@Suite struct WebhookRoutesTests {
    @Test func acceptsThenDetectsDuplicate() async throws {
        let (app, gateway) = try ReceiveClient.app()
        try await app.test(.router) { client in
            let body = Fixtures.envelope(platform: "netflix")
            let first = try await ReceiveClient.post(client, body: body)
            #expect(first.status == .accepted)
            let accepted = try ReceiveClient.json(first)
            #expect(accepted["status"] == .string("accepted"))
            let eventID = try #require(accepted["event_id"]?.stringValue)
            #expect(eventID.count == 64)

            // Same payload, other key order, spacing and timestamp: a duplicate with the same id.
            let again = """
                { "payload": { "title": "New Movie", "content_id": "12345" }, "timestamp": "2026-01-01T00:00:00Z",
                  "platform": "netflix", "event_type": "content_added", "signature": "ignored" }
                """
            let second = try await ReceiveClient.post(client, body: again)
            #expect(second.status == .ok)
            #expect(try ReceiveClient.json(second) == .object(["event_id": .string(eventID), "status": .string("duplicate")]))

            let entries = (gateway.queue as! InMemoryWebhookQueue).entries(platform: "netflix")
            #expect(entries.count == 1)
            let fields = Dictionary(uniqueKeysWithValues: entries[0].fields.map { ($0.0, String(buffer: $0.1)) })
            #expect(fields["event_id"] == eventID)
            #expect(fields["platform"] == "netflix")
            #expect(fields["event_type"] == "content_added")
            #expect(fields["envelope"] == body)
            #expect(Int64(fields["received_at"] ?? "") != nil)
        }
    }

    @Test func mappedEventTypeIsCanonical() async throws {
        let yaml = Fixtures.platformYAML(id: "netflix", extra: "event_types: { title.updated: content_updated }")
        let (app, gateway) = try ReceiveClient.app(files: ["n.yaml": yaml])
        try await app.test(.router) { client in
            let response = try await ReceiveClient.post(client, body: Fixtures.envelope(platform: "netflix", eventType: "title.updated"))
            #expect(response.status == .accepted)
            let fields = (gateway.queue as! InMemoryWebhookQueue).entries(platform: "netflix")[0].fields
            #expect(fields.first { $0.0 == "event_type" }.map { String(buffer: $0.1) } == "content_updated")
            #expect(fields.first { $0.0 == "source_event_type" }.map { String(buffer: $0.1) } == "title.updated")
        }
    }

    @Test func tooLargeDeclared() async throws {
        let (app, _) = try ReceiveClient.app(maxBodyBytes: 100)
        try await app.test(.router) { client in
            let body = Fixtures.envelope(platform: "netflix", title: String(repeating: "x", count: 200))
            try ReceiveClient.expectError(
                try await ReceiveClient.post(client, body: body), .contentTooLarge, "payload_too_large", contains: "100 bytes")
        }
    }

    @Test func tooLargeStreamedWithoutLength() async throws {
        let (app, _) = try ReceiveClient.app(maxBodyBytes: 1000)
        try await app.test(.live) { client in
            // A chunked body that never declares its length is cut off at the limit.
            let body = Fixtures.envelope(platform: "netflix", title: String(repeating: "x", count: 5000))
            var headers = Fixtures.signedHeaders(body)
            headers[.transferEncoding] = "chunked"
            let response = try await client.execute(uri: "/api/v1/webhooks/netflix", method: .post, headers: headers, body: ByteBuffer(string: body))
            try ReceiveClient.expectError(response, .contentTooLarge, "payload_too_large")
        }
    }

    @Test func unknownPlatform() async throws {
        let (app, _) = try ReceiveClient.app()
        try await app.test(.router) { client in
            let body = Fixtures.envelope(platform: "hulu")
            try ReceiveClient.expectError(
                try await ReceiveClient.post(client, platform: "hulu", body: body), .notFound, "unsupported_platform", contains: "'hulu'")
        }
    }

    @Test func disabledPlatform() async throws {
        let (app, _) = try ReceiveClient.app(files: ["n.yaml": Fixtures.platformYAML(id: "netflix", extra: "enabled: false")])
        try await app.test(.router) { client in
            let response = try await ReceiveClient.post(client, body: Fixtures.envelope(platform: "netflix"))
            try ReceiveClient.expectError(response, .serviceUnavailable, "platform_disabled")
            #expect(response.headers[.retryAfter] != nil)
        }
    }

    @Test func invalidSignatures() async throws {
        let (app, gateway) = try ReceiveClient.app()
        try await app.test(.router) { client in
            let body = Fixtures.envelope(platform: "netflix")
            let sigName = HTTPField.Name("X-Webhook-Signature")!
            try ReceiveClient.expectError(
                try await ReceiveClient.post(client, body: body, headers: [:]), .unauthorized, "invalid_signature",
                contains: "missing X-Webhook-Signature")
            try ReceiveClient.expectError(
                try await ReceiveClient.post(client, body: body, headers: [sigName: "abc"]), .unauthorized, "invalid_signature", contains: "prefix")
            try ReceiveClient.expectError(
                try await ReceiveClient.post(client, body: body, headers: Fixtures.signedHeaders(body, secret: "wrong")), .unauthorized,
                "invalid_signature", contains: "does not match")
            try ReceiveClient.expectError(
                try await ReceiveClient.post(client, body: body + " ", headers: Fixtures.signedHeaders(body)), .unauthorized, "invalid_signature")
            #expect((gateway.queue as! InMemoryWebhookQueue).entries(platform: "netflix").isEmpty)
        }
    }

    @Test func rateLimitWithRetryAfterAndForgeriesDoNotSpendTokens() async throws {
        let yaml = Fixtures.platformYAML(id: "netflix", extra: "rate_limit: { per_minute: 2, burst: 2 }")
        let (app, gateway) = try ReceiveClient.app(files: ["n.yaml": yaml])
        try await app.test(.router) { client in
            // Forged requests first: they must not consume the bucket.
            for i in 0..<5 {
                let body = Fixtures.envelope(platform: "netflix", contentID: "forged-\(i)")
                #expect(
                    try await ReceiveClient.post(client, body: body, headers: Fixtures.signedHeaders(body, secret: "nope")).status == .unauthorized)
            }
            #expect(try await ReceiveClient.post(client, body: Fixtures.envelope(platform: "netflix", contentID: "1")).status == .accepted)
            #expect(try await ReceiveClient.post(client, body: Fixtures.envelope(platform: "netflix", contentID: "2")).status == .accepted)
            let limited = try await ReceiveClient.post(client, body: Fixtures.envelope(platform: "netflix", contentID: "3"))
            try ReceiveClient.expectError(limited, .tooManyRequests, "rate_limit_exceeded")
            // 2 per minute: a token is back within 30 s (the exact figure is pinned by TokenBucketTests' injected clock;
            // here the real clock runs while the test does).
            let retryAfter = try #require(limited.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...30).contains(retryAfter))
            let metrics = gateway.metrics.snapshot().platforms["netflix"]
            #expect(metrics?.rateLimited == 1)
            #expect(metrics?.failed == 5)
            #expect(metrics?.accepted == 2)
        }
    }

    @Test(arguments: [
        ("not json", "not valid JSON"),
        ("[1,2]", "must be a JSON object"),
        (#"{"platform":"netflix","timestamp":"t","payload":{"content_id":"1"}}"#, "missing field 'event_type'"),
        (#"{"event_type":"content_added","timestamp":"t","payload":{"content_id":"1"}}"#, "missing field 'platform'"),
        (#"{"event_type":"content_added","platform":"netflix","payload":{"content_id":"1"}}"#, "missing field 'timestamp'"),
        (#"{"event_type":"content_added","platform":"netflix","timestamp":"t"}"#, "missing field 'payload'"),
        (#"{"event_type":"content_added","platform":"hulu","timestamp":"t","payload":{"content_id":"1"}}"#, "URL names 'netflix'"),
        (#"{"event_type":"deleted","platform":"netflix","timestamp":"t","payload":{"content_id":"1"}}"#, "'deleted' is not an event type"),
        (#"{"event_type":"content_added","platform":"netflix","timestamp":"t","payload":{"title":"x"}}"#, "'payload.content_id' is missing"),
        (#"{"event_type":"content_added","platform":"netflix","timestamp":"t","payload":{"content_id":null}}"#, "'payload.content_id' is missing"),
        (#"{"event_type":"content_added","platform":"netflix","timestamp":"t","payload":[1]}"#, "must be an object"),
        (#"{"event_type":7,"platform":"netflix","timestamp":"t","payload":{"content_id":"1"}}"#, "'event_type' must be a string"),
        (#"{"event_type":"content_added","event_type":"content_added","platform":"netflix","timestamp":"t","payload":{}}"#, "duplicate key"),
        ("", "empty body"),
    ])
    func invalidPayloads(body: String, message: String) async throws {
        let (app, _) = try ReceiveClient.app()
        try await app.test(.router) { client in
            try ReceiveClient.expectError(try await ReceiveClient.post(client, body: body), .badRequest, "invalid_payload", contains: message)
        }
    }

    @Test func nestedRequiredField() async throws {
        let (app, _) = try ReceiveClient.app(files: [
            "n.yaml": "platform: netflix\nsecret_env: \(Fixtures.secretEnv)\nrequired_fields: [meta.rating]\n"
        ])
        try await app.test(.router) { client in
            let good = #"{"event_type":"content_added","platform":"netflix","timestamp":"t","payload":{"content_id":"c1","meta":{"rating":"PG"}}}"#
            #expect(try await ReceiveClient.post(client, body: good).status == .accepted)
            let bad = #"{"event_type":"content_added","platform":"netflix","timestamp":"t","payload":{"content_id":"c1","meta":{}}}"#
            try ReceiveClient.expectError(
                try await ReceiveClient.post(client, body: bad), .badRequest, "invalid_payload", contains: "payload.meta.rating")
        }
    }

    @Test func metricsAndStatsShapes() async throws {
        let (app, _) = try ReceiveClient.app()
        try await app.test(.router) { client in
            let body = Fixtures.envelope(platform: "netflix")
            _ = try await ReceiveClient.post(client, body: body)
            _ = try await ReceiveClient.post(client, body: body)
            _ = try await ReceiveClient.post(client, body: body, headers: [:])
            _ = try await ReceiveClient.post(client, platform: "nope", body: body)

            let metrics = try ReceiveClient.json(try await client.execute(uri: "/api/v1/webhooks/metrics", method: .get))
            #expect(metrics["received"] == .number("4"))
            #expect(metrics["accepted"] == .number("1"))
            #expect(metrics["duplicates"] == .number("1"))
            #expect(metrics["failed"] == .number("2"))
            #expect(metrics["rate_limited"] == .number("0"))
            #expect(metrics["processed"] == .number("0"))
            #expect(metrics["success_rate"] == .number("50.0"))
            #expect(metrics["failure_rate"] == .number("50.0"))
            let netflix = try #require(metrics["platforms"]?["netflix"])
            #expect(netflix["received"] == .number("3"))
            #expect(netflix["failure_rate"] == .number("33.33"))

            let stats = try ReceiveClient.json(try await client.execute(uri: "/api/v1/webhooks/stats", method: .get))
            #expect(stats["pending_count"] == .number("1"))
            #expect(stats["processing_count"] == .number("0"))
            #expect(stats["dead_letter_count"] == .number("0"))
            #expect(stats["total_processed"] == .number("0"))
            #expect(stats["platforms"]?["netflix"]?["pending_count"] == .number("1"))
        }
    }

    @Test func metricsAreZeroWhenNothingReceived() async throws {
        let (app, _) = try ReceiveClient.app()
        try await app.test(.router) { client in
            let metrics = try ReceiveClient.json(try await client.execute(uri: "/api/v1/webhooks/metrics", method: .get))
            #expect(metrics["success_rate"] == .number("0"))
            #expect(metrics["failure_rate"] == .number("0"))
        }
    }

    @Test func healthAndReadiness() async throws {
        let (app, _) = try ReceiveClient.app()
        try await app.test(.router) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(try ReceiveClient.json(ready)["durable"] == .bool(false))
        }
    }
}
