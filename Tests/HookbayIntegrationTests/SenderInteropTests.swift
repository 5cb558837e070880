import Foundation
import HTTPTypes
import HookbayTestSupport
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// Whether Python's `slack_sdk` is installed (`pip install slack_sdk`; CI installs it).
enum PythonSlackSDK {
    static let available = Python.hasModule("slack_sdk")

    /// Prints the headers each sender would send for argv[3] (the body) with argv[2] (the secret) at argv[1] (Unix
    /// seconds), as JSON: Slack's from slack_sdk's own signer, the others from Python's hmac as their docs describe.
    static let sign = """
        import base64, hashlib, hmac, json, sys
        from slack_sdk.signature import SignatureVerifier
        now, secret, body = sys.argv[1], sys.argv[2], sys.argv[3]
        key = secret.encode()
        def mac(message):
            return hmac.new(key, message.encode(), hashlib.sha256)
        print(json.dumps({
            "slack": {"X-Slack-Request-Timestamp": now,
                      "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=now, body=body)},
            "zoom": {"x-zm-request-timestamp": now, "x-zm-signature": "v0=" + mac(f"v0:{now}:{body}").hexdigest()},
            "shopify": {"X-Shopify-Hmac-Sha256": base64.b64encode(mac(body).digest()).decode()},
            "gitlab": {"X-Gitlab-Token": secret},
        }))
        """
}

/// Deliveries signed by independent signers (slack_sdk for Slack, Python's hmac for the others) through the real
/// receive path of a gateway whose platforms use the presets, as the shipped example files do.
@Suite(.enabled(if: PythonSlackSDK.available || TestRedis.isCI, "pip install slack_sdk to run"))
struct SenderInteropTests {
    static let secret = "interop-secret-7d1e0c"

    @Test func eachPresetAcceptsItsSendersSignatureAndRefusesAChangedBody() async throws {
        var files: [String: String] = [:]
        for scheme in ["slack", "zoom", "shopify", "gitlab"] {
            files["\(scheme).yaml"] = """
                platform: \(scheme)
                secret_env: \(Fixtures.secretEnv)
                signature: { scheme: \(scheme) }
                required_fields: [content_id]
                """
        }
        let dir = try Fixtures.configDirectory(files)
        let (app, _) = try buildApplication(
            configuration: Fixtures.gateway(configDirectory: dir, redisURL: nil),
            environment: [Fixtures.secretEnv: Self.secret], logger: Fixtures.logger)
        let now = String(Int64(Date().timeIntervalSince1970))
        try await app.test(.router) { client in
            for scheme in ["slack", "zoom", "shopify", "gitlab"] {
                let body = Fixtures.envelope(platform: scheme, contentID: "interop-\(scheme)")
                let (status, output) = try await ChildProcess.run("python3", ["-c", PythonSlackSDK.sign, now, Self.secret, body])
                #expect(status == 0, "\(output)")
                let all = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [String: String]]
                let signed = try #require(all?[scheme], "\(output)")
                var headers: HTTPFields = [.contentType: "application/json"]
                for (name, value) in signed { headers[HTTPField.Name(name)!] = value }
                let accepted = try await ReceiveClient.post(client, platform: scheme, body: body, headers: headers)
                #expect(accepted.status == .accepted, "\(scheme): \(String(buffer: accepted.body))")
                // The same headers on another body: refused (the token scheme signs no body, so it passes).
                let changed = Fixtures.envelope(platform: scheme, contentID: "interop-\(scheme)-changed")
                let refused = try await ReceiveClient.post(client, platform: scheme, body: changed, headers: headers)
                #expect(refused.status == (scheme == "gitlab" ? .accepted : .unauthorized), "\(scheme): \(String(buffer: refused.body))")
            }
        }
    }
}

/// Slack's interactive payloads: a form whose `payload` field is the JSON, signed over the raw form.
@Suite struct FormBodyReceiveTests {
    @Test func aSignedFormIsQueuedAsTheJSONInItsField() async throws {
        let secret = "form-secret-5e1a0b"
        let dir = try Fixtures.configDirectory([
            "slack.yaml": """
            platform: slack
            secret_env: \(Fixtures.secretEnv)
            signature: { scheme: slack }
            body_format: form
            adapter: generic
            adapter_config: { content_id: user.id }
            envelope: { event_type: { json: /type }, payload: { json: "" } }
            event_types: { block_actions: content_updated }
            """
        ])
        let (app, gateway) = try buildApplication(
            configuration: Fixtures.gateway(configDirectory: dir, redisURL: nil), environment: [Fixtures.secretEnv: secret], logger: Fixtures.logger)
        let now = String(Int64(Date().timeIntervalSince1970))
        let json = #"{"type":"block_actions","user":{"id":"U1"},"actions":[{"value":"a b&c"}]}"#
        let form = "payload=" + json.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let signature = "v0=" + hmacHex(Array("v0:\(now):\(form)".utf8), key: Array(secret.utf8))
        try await app.test(.router) { client in
            var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            headers[HTTPField.Name("X-Slack-Request-Timestamp")!] = now
            headers[HTTPField.Name("X-Slack-Signature")!] = signature
            let accepted = try await ReceiveClient.post(client, platform: "slack", body: form, headers: headers)
            #expect(accepted.status == .accepted, "\(String(buffer: accepted.body)) \(form)")
            // The signature covers the raw form: the same form with one byte changed is refused.
            let changed = try await ReceiveClient.post(client, platform: "slack", body: form + "&x=1", headers: headers)
            #expect(changed.status == .unauthorized)
            let missing = "v0=" + hmacHex(Array("v0:\(now):other=1".utf8), key: Array(secret.utf8))
            headers[HTTPField.Name("X-Slack-Signature")!] = missing
            try ReceiveClient.expectError(
                try await ReceiveClient.post(client, platform: "slack", body: "other=1", headers: headers), .badRequest, "invalid_payload",
                contains: "no field 'payload'")
        }
        let entries = (gateway.queue as! InMemoryWebhookQueue).entries(platform: "slack")
        #expect(entries.count == 1)
        #expect(entries.first?.fields.first { $0.0 == "envelope" }.map { String(buffer: $0.1) } == json)
    }
}

/// Compressed bodies through the real server, on both delivery paths.
@Suite struct CompressedBodyTests {
    @Test func gzipAndDeflateBodiesAreInflatedWithBounds() async throws {
        let dir = try Fixtures.configDirectory([
            "p.yaml": Fixtures.platformYAML(id: "p", extra: "content_encoding: [gzip, deflate]"),
            "e.yaml": Fixtures.platformYAML(id: "e", extra: "content_encoding: [gzip]\nsignature: { signed_body: encoded }"),
            "plain.yaml": Fixtures.platformYAML(id: "plain"),
        ])
        let (app, gateway) = try buildApplication(
            configuration: Fixtures.gateway(configDirectory: dir, redisURL: nil), environment: Fixtures.environment, logger: Fixtures.logger)
        try await app.test(.live) { client in
            func post(_ platform: String, _ body: [UInt8], encoding: String, signature: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/api/v1/webhooks/\(platform)", method: .post,
                    headers: [
                        .contentType: "application/json", .contentEncoding: encoding, HTTPField.Name("X-Webhook-Signature")!: signature,
                    ], body: ByteBuffer(bytes: body))
            }
            for (index, format) in [Deflate.Format.gzip, .zlib, .raw].enumerated() {
                let json = Fixtures.envelope(platform: "p", contentID: "gz-\(index)")
                let encoding = format == .gzip ? "gzip" : "deflate"
                let response = try await post(
                    "p", Deflate.compress(Array(json.utf8), format), encoding: encoding, signature: Fixtures.signature(json))
                #expect(response.status == .accepted, "\(format): \(String(buffer: response.body))")
            }
            // signed_body: encoded: the signature covers the bytes as sent.
            let json = Fixtures.envelope(platform: "e", contentID: "enc")
            let compressed = Deflate.compress(Array(json.utf8), .gzip)
            let signature = "sha256=" + hmacHex(compressed, key: Array(Fixtures.secret.utf8))
            #expect(try await post("e", compressed, encoding: "gzip", signature: signature).status == .accepted)
            #expect(try await post("e", compressed, encoding: "gzip", signature: Fixtures.signature(json)).status == .unauthorized)

            let bomb = Deflate.compress([UInt8](repeating: 0x20, count: 900_000), .gzip)
            try ReceiveClient.expectError(
                try await post("p", bomb, encoding: "gzip", signature: Fixtures.signature("x")), .contentTooLarge, "payload_too_large")
            try ReceiveClient.expectError(
                try await post("p", Array(compressed.dropLast(4)), encoding: "gzip", signature: Fixtures.signature(json)), .badRequest,
                "invalid_payload", contains: "gzip")
            try ReceiveClient.expectError(
                try await post("p", compressed, encoding: "br", signature: Fixtures.signature(json)), .unsupportedMediaType, "unsupported_encoding")
            // A platform that lists no content_encoding refuses compressed bodies unread, even authentic ones.
            let plain = Fixtures.envelope(platform: "plain", contentID: "gz")
            try ReceiveClient.expectError(
                try await post("plain", Deflate.compress(Array(plain.utf8), .gzip), encoding: "gzip", signature: Fixtures.signature(plain)),
                .unsupportedMediaType, "unsupported_encoding", contains: "content_encoding")
            try ReceiveClient.expectError(
                try await post("plain", bomb, encoding: "gzip", signature: Fixtures.signature("x")), .unsupportedMediaType, "unsupported_encoding")
            try ReceiveClient.expectError(
                try await post("e", compressed, encoding: "deflate", signature: signature), .unsupportedMediaType, "unsupported_encoding")
        }
        // What is queued is the decoded JSON.
        let entries = (gateway.queue as! InMemoryWebhookQueue).entries(platform: "p")
        #expect(entries.count == 3)
        #expect(entries.allSatisfy { entry in entry.fields.first { $0.0 == "envelope" }.map { String(buffer: $0.1).hasPrefix("{") } == true })
    }
}
