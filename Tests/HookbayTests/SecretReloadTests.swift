import Foundation
import HTTPTypes
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// A secret file takes effect both ways while the server runs: a rotated file is used within the reload interval,
/// and a deleted or emptied one stops authenticating at once (503 secret_unavailable), never leaving the old secret
/// serving.
@Suite struct SecretReloadTests {
    static func post(_ client: some TestClientProtocol, _ platform: String, secret: String) async throws -> TestResponse {
        let body = Fixtures.envelope(platform: platform, contentID: UUID().uuidString)
        return try await client.execute(
            uri: "/api/v1/webhooks/\(platform)", method: .post,
            headers: Fixtures.signedHeaders(body, secret: secret), body: ByteBuffer(string: body))
    }

    /// A gateway reloading every 100 ms, serving `platform` with its secret in `p.secret` ("first-secret").
    static func app(platform: String) throws -> (some ApplicationProtocol, String) {
        let dir = try Fixtures.configDirectory([
            "p.yaml": "platform: \(platform)\nsecret_file: p.secret\nrequired_fields: [content_id]\n",
            "p.secret": "first-secret\n",
        ])
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: nil)
        configuration.reloadInterval = .milliseconds(100)
        let (app, _) = try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
        return (app, dir)
    }

    @Test func rotatedDeletedEmptiedAndRestoredSecretFiles() async throws {
        let (app, dir) = try Self.app(platform: "rotating")
        let secretPath = dir + "/p.secret"
        try await app.test(.live) { client in
            #expect(try await Self.post(client, "rotating", secret: "first-secret").status == .accepted)

            // Rotated in place: the new secret works and the old one stops, within the interval.
            try "second-secret\n".write(toFile: secretPath, atomically: true, encoding: .utf8)
            var started = ContinuousClock.now
            #expect(
                try await eventually(within: .seconds(3)) { try await Self.post(client, "rotating", secret: "second-secret").status == .accepted })
            print("secret rotation took effect after \(ContinuousClock.now - started)")
            #expect(try await Self.post(client, "rotating", secret: "first-secret").status == .unauthorized)

            // Deleted: nothing authenticates, the old secret least of all.
            try FileManager.default.removeItem(atPath: secretPath)
            started = ContinuousClock.now
            #expect(
                try await eventually(within: .seconds(3)) {
                    try await Self.post(client, "rotating", secret: "second-secret").status == .serviceUnavailable
                })
            print("secret revocation took effect after \(ContinuousClock.now - started)")
            let refused = try await Self.post(client, "rotating", secret: "second-secret")
            #expect(String(buffer: refused.body).contains("secret_unavailable"))
            #expect(refused.headers[.retryAfter] != nil)

            // Restored, then emptied: the same both ways.
            try "third-secret".write(toFile: secretPath, atomically: true, encoding: .utf8)
            #expect(try await eventually(within: .seconds(3)) { try await Self.post(client, "rotating", secret: "third-secret").status == .accepted })
            try "\n".write(toFile: secretPath, atomically: true, encoding: .utf8)
            #expect(
                try await eventually(within: .seconds(3)) {
                    try await Self.post(client, "rotating", secret: "third-secret").status == .serviceUnavailable
                })
        }
    }

    /// A platform file refused for another reason keeps its previous version serving, but never its old secret: the
    /// kept version follows its secret file, rotated or deleted.
    @Test func aKeptVersionFollowsItsSecretFile() async throws {
        let (app, dir) = try Self.app(platform: "kept")
        try await app.test(.live) { client in
            #expect(try await Self.post(client, "kept", secret: "first-secret").status == .accepted)
            // The file breaks (a duplicate key) while the secret rotates.
            try "platform: kept\nsecret_file: p.secret\nrate_limit: { per_minute: 5 }\nrate_limit: { per_minute: 6 }\n"
                .write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
            try "second-secret\n".write(toFile: dir + "/p.secret", atomically: true, encoding: .utf8)
            #expect(try await eventually(within: .seconds(3)) { try await Self.post(client, "kept", secret: "second-secret").status == .accepted })
            let old = try await Self.post(client, "kept", secret: "first-secret")
            #expect(old.status == .unauthorized)
            // Still broken, and the secret deleted: nothing authenticates.
            try FileManager.default.removeItem(atPath: dir + "/p.secret")
            #expect(
                try await eventually(within: .seconds(3)) {
                    try await Self.post(client, "kept", secret: "second-secret").status == .serviceUnavailable
                })
        }
    }
}
