import Crypto
import Foundation
import HTTPTypes
import HookbayJSON
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// Handshakes through the real routes: answered and counted, never queued; a forged one is refused like any delivery.
@Suite struct HandshakeTests {
    static let secret = "handshake-secret-9d3f"

    @Test func eachHandshakeIsAnsweredAndNothingIsQueued() async throws {
        let dir = try Fixtures.configDirectory([
            "slack.yaml": "platform: slack\nsecret_env: \(Fixtures.secretEnv)\nsignature: { scheme: slack }\nhandshake: slack\n",
            "zoom.yaml": "platform: zoom\nsecret_env: \(Fixtures.secretEnv)\nsignature: { scheme: zoom }\nhandshake: zoom\n",
            "meta.yaml":
                "platform: meta\nsecret_env: \(Fixtures.secretEnv)\nsignature: { scheme: github }\nhandshake: meta\nhandshake_token_env: META_TOKEN\n",
            "x.yaml": "platform: x\nsecret_env: \(Fixtures.secretEnv)\nhandshake: twitter_crc\n",
            "plain.yaml": Fixtures.platformYAML(id: "plain"),
        ])
        let (app, gateway) = try buildApplication(
            configuration: Fixtures.gateway(configDirectory: dir, redisURL: nil),
            environment: [Fixtures.secretEnv: Self.secret, "META_TOKEN": "meta-verify-token"], logger: Fixtures.logger)
        let now = String(Int64(Date().timeIntervalSince1970))
        @Sendable func signed(_ body: String, _ prefix: String) -> String {
            "v0=" + hmacHex(Array("v0:\(now):".utf8) + Array(body.utf8), key: Array(Self.secret.utf8))
        }
        try await app.test(.router) { client in
            let slack = #"{"token":"t","challenge":"abc123","type":"url_verification"}"#
            let slackAnswer = try await ReceiveClient.post(
                client, platform: "slack", body: slack,
                headers: [HTTPField.Name("X-Slack-Request-Timestamp")!: now, HTTPField.Name("X-Slack-Signature")!: signed(slack, "v0")])
            #expect(slackAnswer.status == .ok)
            #expect(String(buffer: slackAnswer.body) == #"{"challenge":"abc123"}"#)
            // Forged: refused like any delivery, nothing echoed.
            let forged = try await ReceiveClient.post(
                client, platform: "slack", body: slack,
                headers: [
                    HTTPField.Name("X-Slack-Request-Timestamp")!: now,
                    HTTPField.Name("X-Slack-Signature")!: "v0=" + String(repeating: "0", count: 64),
                ])
            #expect(forged.status == .unauthorized && !String(buffer: forged.body).contains("abc123"))

            let zoom = #"{"payload":{"plainToken":"plain-1"},"event":"endpoint.url_validation"}"#
            let zoomAnswer = try await ReceiveClient.post(
                client, platform: "zoom", body: zoom,
                headers: [HTTPField.Name("x-zm-request-timestamp")!: now, HTTPField.Name("x-zm-signature")!: signed(zoom, "v0")])
            #expect(zoomAnswer.status == .ok)
            let expected = hmacHex(Array("plain-1".utf8), key: Array(Self.secret.utf8))
            #expect(try ReceiveClient.json(zoomAnswer) == .object(["plainToken": .string("plain-1"), "encryptedToken": .string(expected)]))

            let meta = try await client.execute(
                uri: "/api/v1/webhooks/meta?hub.mode=subscribe&hub.verify_token=meta-verify-token&hub.challenge=1158201444", method: .get)
            #expect(meta.status == .ok && String(buffer: meta.body) == "1158201444")
            try ReceiveClient.expectError(
                try await client.execute(uri: "/api/v1/webhooks/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", method: .get),
                .forbidden, "forbidden")

            let x = try await client.execute(uri: "/api/v1/webhooks/x?crc_token=crc-1", method: .get)
            let mac = HMAC<SHA256>.authenticationCode(for: Array("crc-1".utf8), using: SymmetricKey(data: Array(Self.secret.utf8)))
            #expect(try ReceiveClient.json(x) == .object(["response_token": .string("sha256=" + Data(mac).base64EncodedString())]))

            try ReceiveClient.expectError(try await client.execute(uri: "/api/v1/webhooks/plain?crc_token=1", method: .get), .notFound, "not_found")
            try ReceiveClient.expectError(try await client.execute(uri: "/api/v1/webhooks/nope", method: .get), .notFound, "unsupported_platform")

            let metrics = try ReceiveClient.json(try await client.execute(uri: "/api/v1/webhooks/metrics", method: .get))
            #expect(metrics["handshakes"] == .number("4"))
            #expect(metrics["platforms"]?["slack"]?["handshakes"] == .number("1"))
        }
        for platform in ["slack", "zoom", "meta", "x"] {
            #expect(try await gateway.queue.stats(platform: platform).pending == 0, "\(platform)")
        }
    }

    @Test func refusedGETsAreRecordedCountedAndRateLimited() async throws {
        let dir = try Fixtures.configDirectory([
            "meta.yaml":
                "platform: meta\nsecret_env: \(Fixtures.secretEnv)\nsignature: { scheme: github }\nhandshake: meta\nhandshake_token_env: META_TOKEN\n",
            "x.yaml": "platform: x\nsecret_env: \(Fixtures.secretEnv)\nhandshake: twitter_crc\n",
        ])
        let (app, gateway) = try buildApplication(
            configuration: Fixtures.gateway(configDirectory: dir, redisURL: nil),
            environment: [Fixtures.secretEnv: Self.secret, "META_TOKEN": "meta-verify-token"], logger: Fixtures.logger)
        try await app.test(.router) { client in
            try ReceiveClient.expectError(
                try await client.execute(uri: "/api/v1/webhooks/meta?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1", method: .get),
                .forbidden, "forbidden")
            let recorded = gateway.receiver.recentRefusals.recent(limit: 10, platform: "meta")
            #expect(recorded.count == 1 && recorded.first?.code == "forbidden" && recorded.first?.status == 403)
            #expect(recorded.allSatisfy { !$0.message.contains("meta-verify-token") })
            #expect(gateway.receiver.metrics.refusals()["meta"]?["forbidden"] == 1)

            // Wrong tokens share a bucket of 20 at once (one more a second), apart from deliveries': within 100 more, a
            // guess is 429 with Retry-After, however slowly the machine runs them.
            let guess = "/api/v1/webhooks/meta?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1"
            var limited: TestResponse?
            for index in 0..<100 {
                let response = try await client.execute(uri: guess, method: .get)
                if response.status == .tooManyRequests {
                    #expect(index >= 19, "limited after \(index + 1) of a burst of 20")
                    limited = response
                    break
                }
                #expect(response.status == .forbidden)
            }
            let answer = try #require(limited)
            try ReceiveClient.expectError(answer, .tooManyRequests, "rate_limit_exceeded")
            #expect(answer.headers[.retryAfter] != nil)
            #expect(gateway.receiver.metrics.snapshot().platforms["meta"]?.rateLimited ?? 0 >= 1)
            // The sender's own handshake is answered whatever the guesses left in the bucket; X's CRC (nothing to
            // guess) and the platform's deliveries are never charged.
            let right = try await client.execute(
                uri: "/api/v1/webhooks/meta?hub.mode=subscribe&hub.verify_token=meta-verify-token&hub.challenge=77", method: .get)
            #expect(right.status == .ok && String(buffer: right.body) == "77")
            for _ in 0..<30 {
                #expect(try await client.execute(uri: "/api/v1/webhooks/x?crc_token=crc-1", method: .get).status == .ok)
            }
            let json = Fixtures.envelope(platform: "meta")
            let delivery = try await ReceiveClient.post(
                client, platform: "meta", body: json,
                headers: [HTTPField.Name("X-Hub-Signature-256")!: "sha256=" + hmacHex(Array(json.utf8), key: Array(Self.secret.utf8))])
            #expect(delivery.status == .accepted)
        }
    }

    @Test func filesSayWhatIsWrong() {
        let loader = PlatformFileParser(environment: Fixtures.environment.merging(["SHORT_TOKEN": "fifteen-bytes!!"]) { a, _ in a })
        for (extra, key, message) in [
            ("handshake: carrier-pigeon", "handshake", "must be slack, zoom, meta or twitter_crc, not 'carrier-pigeon'"),
            ("handshake: meta", "handshake_token_env", "is required"),
            ("handshake: slack\nhandshake_token_env: X", "handshake_token_env", "only applies"),
            ("handshake: meta\nhandshake_token_env: HOOKBAY_UNSET_VARIABLE", "handshake_token_env", "is not set"),
            ("handshake: meta\nhandshake_token_env: SHORT_TOKEN", "handshake_token_env", "shorter than 16 bytes"),
            // The CRC's answers would sign compressed bodies made of token characters (raw deflate has no header).
            ("handshake: twitter_crc\nsignature: { signed_body: encoded }", "handshake", "cannot go with signature.signed_body: encoded"),
        ] {
            #expect {
                try loader.parse(yaml: Fixtures.platformYAML(id: "a", extra: extra), file: "a.yaml")
            } throws: { error in
                (error as? PlatformFileError)?.problems.contains { $0.key == key && $0.message.contains(message) } == true
            }
        }
    }
}
