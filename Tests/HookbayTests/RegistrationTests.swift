import Foundation
import HTTPTypes
import HookbayJSON
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// `POST /api/v1/webhooks/register`.
@Suite struct RegistrationTests {
    static let token = "registration-admin-token"
    static let secret = "registered-secret-0123456789"

    static func app(dir: String, token: String? = token) throws -> (some ApplicationProtocol, Gateway) {
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: nil)
        configuration.adminToken = token
        return try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
    }

    static func register(_ client: some TestClientProtocol, _ body: String, token: String? = token) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: "/api/v1/webhooks/register", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    static func request(
        _ platform: String, url: String = "https://platform.example.com/webhook",
        types: String = #"["content_added","content_updated"]"#, secret: String = secret
    ) -> String {
        #"{"platform":"\#(platform)","url":"\#(url)","event_types":\#(types),"secret":"\#(secret)"}"#
    }

    @Test func registersAPlatformThatIsLiveAtOnceAndPersists() async throws {
        let dir = try Fixtures.configDirectory([:])
        let (app, _) = try Self.app(dir: dir)
        try await app.test(.router) { client in
            let response = try await Self.register(client, Self.request("hulu"))
            #expect(response.status == .created)
            let json = try ReceiveClient.json(response)
            #expect(json["webhook_url"]?.stringValue?.hasSuffix("/api/v1/webhooks/hulu") == true)
            #expect(!String(buffer: response.body).contains(Self.secret))

            // Live at once, with the registered secret.
            let body = Fixtures.envelope(platform: "hulu")
            #expect(
                try await ReceiveClient.post(client, platform: "hulu", body: body, headers: Fixtures.signedHeaders(body, secret: Self.secret)).status
                    == .accepted)
            // The subscription filter: an authentic event of another type is acknowledged and not queued.
            let removed = Fixtures.envelope(platform: "hulu", eventType: "content_removed", contentID: "9")
            let ignored = try await ReceiveClient.post(
                client, platform: "hulu", body: removed, headers: Fixtures.signedHeaders(removed, secret: Self.secret))
            #expect(ignored.status == .ok)
            #expect(try ReceiveClient.json(ignored)["status"] == .string("ignored"))
            let metrics = try ReceiveClient.json(try await client.execute(uri: "/api/v1/webhooks/metrics", method: .get))
            #expect(metrics["platforms"]?["hulu"]?["ignored"] == .number("1"))
            #expect(metrics["platforms"]?["hulu"]?["accepted"] == .number("1"))

            #expect(try await Self.register(client, Self.request("hulu")).status == .conflict)
        }
        // Files: the secret only the owner can read, never in the YAML.
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/hulu.secret")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let yaml = try String(contentsOfFile: dir + "/hulu.yaml", encoding: .utf8)
        #expect(!yaml.contains(Self.secret))
        #expect(yaml.contains("https://platform.example.com/webhook"))
        // Persists across a restart.
        let (again, gateway) = try Self.app(dir: dir)
        #expect(gateway.platforms.platform("hulu")?.config.subscribe == ["content_added", "content_updated"])
        try await again.test(.router) { client in
            let body = Fixtures.envelope(platform: "hulu", contentID: "after-restart")
            let status = try await ReceiveClient.post(
                client, platform: "hulu", body: body, headers: Fixtures.signedHeaders(body, secret: Self.secret)
            ).status
            #expect(status == .accepted)
        }
    }

    @Test func refusals() async throws {
        let dir = try Fixtures.configDirectory(["n.yaml": Fixtures.platformYAML(id: "netflix")])
        let (app, _) = try Self.app(dir: dir)
        try await app.test(.router) { client in
            #expect(try await Self.register(client, Self.request("a1"), token: nil).status == .unauthorized)
            #expect(try await Self.register(client, Self.request("a1"), token: "wrong").status == .unauthorized)
            #expect(try await Self.register(client, Self.request("netflix")).status == .conflict)
            for (body, field) in [
                (Self.request("Bad Id"), "platform"),
                (Self.request("register"), "reserved"),
                (Self.request("a2", url: "http://platform.example.com/x"), "url"),
                (Self.request("a3", url: "https://user:pw@platform.example.com/x"), "credentials"),
                (Self.request("a4", types: "[]"), "event_types"),
                (Self.request("a5", types: #"["deleted"]"#), "event_types"),
                (Self.request("a6", secret: "short"), "secret"),
                (Self.request("a9", secret: #"0123456789abcdef\r\nX-Injected: 1"#), "one line"),
                (Self.request("b1", url: "https://"), "host"),
                (Self.request("b2", url: "https://host.example:99999999/x"), "port"),
                (Self.request("b3", url: "https://host.example/a b"), "URL characters"),
                (Self.request("b4", url: "https://hé.example/"), "host"),
                (#"{"platform":"a7"}"#, "url"),
                ("nope", "not valid JSON"),
                (#"{"platform":"a8","url":"https://x.example","event_types":["content_added"],"secret":"0123456789abcdef","extra":1}"#, "extra"),
            ] {
                let response = try await Self.register(client, body)
                try ReceiveClient.expectError(response, .badRequest, "invalid_payload", contains: field)
                #expect(!String(buffer: response.body).contains(Self.secret))
            }
            #expect(!FileManager.default.fileExists(atPath: dir + "/a2.yaml"))
        }
    }

    @Test func offWithoutAToken() async throws {
        let (app, _) = try Self.app(dir: try Fixtures.configDirectory([:]), token: nil)
        try await app.test(.router) { client in
            try ReceiveClient.expectError(
                try await Self.register(client, Self.request("z1"), token: "anything"), .forbidden, "forbidden", contains: "HOOKBAY_ADMIN_TOKEN")
        }
    }

    /// Ids YAML would read as another type are written quoted and load as themselves.
    @Test(arguments: ["null", "true", "123", "1e3", "no", "0x1f"])
    func idsYAMLWouldMisreadRegister(platform: String) async throws {
        let dir = try Fixtures.configDirectory([:])
        let (app, _) = try Self.app(dir: dir)
        try await app.test(.router) { client in
            let registered = try await Self.register(client, Self.request(platform))
            #expect(registered.status == .created)
            let body = Fixtures.envelope(platform: platform)
            let delivered = try await ReceiveClient.post(
                client, platform: platform, body: body, headers: Fixtures.signedHeaders(body, secret: Self.secret))
            #expect(delivered.status == .accepted)
        }
    }

    /// A file it would write that exists, or a secret file another platform names: 409, and nothing overwritten.
    @Test func refusesToOverwriteAnyFile() async throws {
        let dir = try Fixtures.configDirectory([
            "other.yaml": "platform: other\nsecret_file: shared.secret\n",
            "shared.secret": "the-other-platforms-secret\n",
            "twin.yml": Fixtures.platformYAML(id: "twin-elsewhere"),
            "loose.secret": "someone-elses-secret\n",
        ])
        let (app, _) = try Self.app(dir: dir)
        try await app.test(.router) { client in
            for platform in ["shared", "twin", "loose"] {
                let response = try await Self.register(client, Self.request(platform))
                #expect(response.status == .conflict, "\(platform)")
            }
            #expect(try String(contentsOfFile: dir + "/shared.secret", encoding: .utf8) == "the-other-platforms-secret\n")
            #expect(try String(contentsOfFile: dir + "/loose.secret", encoding: .utf8) == "someone-elses-secret\n")
            #expect(!FileManager.default.fileExists(atPath: dir + "/shared.yaml"))
        }
    }

    /// Two registrations of one id at once: one 201, the other 409.
    @Test func concurrentRegistrationsOfOneIDOneWins() async throws {
        let dir = try Fixtures.configDirectory([:])
        let (app, _) = try Self.app(dir: dir)
        try await app.test(.live) { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<8 { group.addTask { try await Self.register(client, Self.request("racer")).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 7)
        }
    }
}
