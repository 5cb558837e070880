import Foundation
import HTTPTypes
import HookbayJSON
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// What the ops console reads and does, through the real server: the page's files, the recent refusals, switching a
/// platform in its file, refusals by reason and the traffic history.
@Suite struct ConsoleAPITests {
    static let token = "console-admin-token-51d0"
    static var auth: HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }

    static func app(files: [String: String], environment: [String: String] = Fixtures.environment) throws -> (
        some ApplicationProtocol, Gateway, String
    ) {
        let dir = try Fixtures.configDirectory(files)
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: nil)
        configuration.adminToken = token
        let (app, gateway) = try buildApplication(configuration: configuration, environment: environment, logger: Fixtures.logger)
        return (app, gateway, dir)
    }

    @Test func thePageIsServedFromTheBinaryUnderAStrictPolicy() async throws {
        let (app, _, _) = try Self.app(files: ["p.yaml": Fixtures.platformYAML(id: "netflix")])
        try await app.test(.router) { client in
            for (path, type) in [
                ("/console", "text/html"), ("/console/console.css", "text/css"), ("/console/console.js", "text/javascript"),
            ] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers[.contentType]?.hasPrefix(type) == true, "\(path)")
                let policy = try #require(response.headers[.contentSecurityPolicy], "\(path)")
                #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))
                #expect(!policy.contains("unsafe"))
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                #expect(response.body.readableBytes > 100)
            }
            let html = String(buffer: try await client.execute(uri: "/console", method: .get).body)
            #expect(html.contains(#"name="token""#))
            // Nothing inline and nothing from elsewhere: the policy would block it, so the page must not need it.
            #expect(!html.contains("<script>") && !html.contains("<style") && !html.contains("style=\""))
            #expect(!html.contains("http://") && !html.contains("https://"))
        }
    }

    @Test func refusedDeliveriesAreKeptWithWhoSentThemAndNeverTheirSecrets() async throws {
        let (app, gateway, _) = try Self.app(files: ["p.yaml": Fixtures.platformYAML(id: "netflix")])
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let body = Fixtures.envelope(platform: "netflix", contentID: "forged")
            let forged = "sha256=" + String(repeating: "ab", count: 32)
            // On the event loop (a plain delivery), through the router (chunked), and to a platform that is not served.
            let requests = [
                "POST /api/v1/webhooks/netflix HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n"
                    + "X-Webhook-Signature: \(forged)\r\n\r\n\(body)",
                "POST /api/v1/webhooks/netflix HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-Webhook-Signature: \(forged)\r\n\r\n"
                    + "\(String(body.utf8.count, radix: 16))\r\n\(body)\r\n0\r\n\r\n",
                RawHTTP.post("/api/v1/webhooks/nope", body: "{}", signed: false),
            ]
            let answers = try await RawHTTP.exchange(port: port, requests.joined(), expecting: requests.count)
            #expect(answers.map(\.status) == [401, 401, 404])

            let response = try await client.execute(uri: "/api/v1/admin/refusals", method: .get, headers: Self.auth)
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            #expect(!text.contains(forged) && !text.contains(String(repeating: "ab", count: 32)) && !text.contains(Fixtures.secret))
            #expect(!text.contains("content_id"))
            let json = try ReceiveClient.json(response)
            #expect(json["capacity"] == .number(String(RecentRefusals.defaultCapacity)))
            guard case .array(let refusals)? = json["refusals"] else {
                Issue.record("no refusals: \(text)")
                return
            }
            // The two forged deliveries from one client are one entry with its count (entries of the same millisecond
            // may come in either order).
            let byPlatform = Dictionary(refusals.map { ($0["platform"]?.stringValue ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            #expect(refusals.count == 2 && Set(byPlatform.keys) == ["nope", "netflix"])
            #expect(byPlatform["nope"]?["status"] == .number("404"))
            #expect(byPlatform["nope"]?["count"] == .number("1"))
            #expect(byPlatform["netflix"]?["status"] == .number("401"))
            #expect(byPlatform["netflix"]?["count"] == .number("2"))
            #expect(byPlatform["netflix"]?["code"] == .string("invalid_signature"))
            for refusal in refusals {
                #expect(refusal["remote_address"] == .string("127.0.0.1"), "\(refusal)")
                #expect(refusal["request_id"]?.stringValue?.isEmpty == false, "\(refusal)")
                #expect(refusal["message"]?.stringValue?.isEmpty == false, "\(refusal)")
            }
            // One platform's, and a bounded number.
            let netflix = try ReceiveClient.json(
                try await client.execute(uri: "/api/v1/admin/refusals?platform=netflix&limit=1", method: .get, headers: Self.auth))
            guard case .array(let one)? = netflix["refusals"] else {
                Issue.record("no refusals: \(netflix)")
                return
            }
            #expect(one.count == 1)
            #expect(one.first?["platform"] == .string("netflix"))
            for query in ["limit=0", "limit=201", "limit=x", "limit=-1"] {
                try ReceiveClient.expectError(
                    try await client.execute(uri: "/api/v1/admin/refusals?\(query)", method: .get, headers: Self.auth), .badRequest, "bad_request")
            }
            try ReceiveClient.expectError(try await client.execute(uri: "/api/v1/admin/refusals", method: .get), .unauthorized, "unauthorized")

            // The metrics count them by reason.
            let metrics = try ReceiveClient.json(try await client.execute(uri: "/api/v1/webhooks/metrics", method: .get))
            #expect(metrics["platforms"]?["netflix"]?["refused"]?["invalid_signature"] == .number("2"))
            #expect(gateway.receiver.recentRefusals.recent(limit: 10).count == 2)
        }
    }

    @Test func aPlatformIsSwitchedInItsFileByOneLineAndServesAccordingly() async throws {
        let original = "# The shop: comments, odd spacing and order are kept.\n" + Fixtures.platformYAML(id: "shop") + "\n\n# last words\n"
        let (app, _, dir) = try Self.app(files: ["shop.yaml": original])
        let path = dir + "/shop.yaml"
        try await app.test(.router) { client in
            func set(_ enabled: Bool, platform: String = "shop") async throws -> TestResponse {
                try await client.execute(
                    uri: "/api/v1/admin/platforms/\(platform)/enabled", method: .post, headers: Self.auth,
                    body: ByteBuffer(string: #"{"enabled": \#(enabled)}"#))
            }
            let body = Fixtures.envelope(platform: "shop", contentID: "s1")
            let off = try await set(false)
            #expect(off.status == .ok)
            #expect(
                try ReceiveClient.json(off)
                    == .object(["platform": .string("shop"), "enabled": .bool(false), "source_file": .string("shop.yaml"), "changed": .bool(true)]))
            #expect(try String(contentsOfFile: path, encoding: .utf8) == original + "enabled: false\n")
            try ReceiveClient.expectError(
                try await ReceiveClient.post(client, platform: "shop", body: body), .serviceUnavailable, "platform_disabled")
            // Said twice: nothing to change.
            #expect(try ReceiveClient.json(try await set(false))["changed"] == .bool(false))
            // Back on: the same line says true, nothing else moved.
            #expect(try await set(true).status == .ok)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == original + "enabled: true\n")
            #expect(try await ReceiveClient.post(client, platform: "shop", body: body).status == .accepted)

            try ReceiveClient.expectError(try await set(false, platform: "nope"), .notFound, "unsupported_platform")
            for bad in ["", "{}", #"{"enabled":"no"}"#, #"{"enabled":true,"also":1}"#, "[true]"] {
                try ReceiveClient.expectError(
                    try await client.execute(
                        uri: "/api/v1/admin/platforms/shop/enabled", method: .post, headers: Self.auth, body: ByteBuffer(string: bad)),
                    .badRequest, "bad_request", contains: "enabled")
            }
            try ReceiveClient.expectError(
                try await client.execute(uri: "/api/v1/admin/platforms/shop/enabled", method: .post, body: ByteBuffer(string: #"{"enabled":false}"#)),
                .unauthorized, "unauthorized")
        }
    }

    @Test func enablingAPlatformThatCannotLoadLeavesItsFileAsItWas() async throws {
        // Disabled, and its secret's variable is not set: enabling it would not load.
        let original = "platform: dormant\nenabled: false   # until the secret is provisioned\nsecret_env: HOOKBAY_TEST_UNSET_SECRET\n"
        let (app, gateway, dir) = try Self.app(files: ["dormant.yaml": original])
        try await app.test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/admin/platforms/dormant/enabled", method: .post, headers: Self.auth, body: ByteBuffer(string: #"{"enabled":true}"#))
            try ReceiveClient.expectError(response, .conflict, "conflict", contains: "HOOKBAY_TEST_UNSET_SECRET")
            #expect(try String(contentsOfFile: dir + "/dormant.yaml", encoding: .utf8) == original)
            #expect(gateway.platforms.platform("dormant")?.config.enabled == false)
        }
    }

    @Test func aFileThatSaysSoButDoesNotLoadIsNotReportedAsSwitched() async throws {
        let (app, gateway, dir) = try Self.app(files: ["shop.yaml": Fixtures.platformYAML(id: "shop")])
        // Someone switched it off by hand with a typo: refused, so the previous (enabled) version still serves.
        try (Fixtures.platformYAML(id: "shop") + "\nenabled: false\ntypo_key: 1\n").write(
            toFile: dir + "/shop.yaml", atomically: true, encoding: .utf8)
        _ = gateway.reloader.reload(force: true)
        #expect(gateway.platforms.platform("shop")?.config.enabled == true)
        try await app.test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/admin/platforms/shop/enabled", method: .post, headers: Self.auth, body: ByteBuffer(string: #"{"enabled":false}"#))
            try ReceiveClient.expectError(response, .conflict, "conflict", contains: "typo_key")
        }
    }

    @Test func theHistoryGivesEachIntervalsCounts() async throws {
        let (app, gateway, _) = try Self.app(files: ["p.yaml": Fixtures.platformYAML(id: "netflix")])
        try await app.test(.router) { client in
            // Twice: the first sample of a process is only a baseline (the monitor may not have taken one yet).
            gateway.metrics.sampleHistory(queue: [:], at: 999)
            gateway.metrics.sampleHistory(queue: [:], at: 1000)
            for i in 0..<3 {
                let body = Fixtures.envelope(platform: "netflix", contentID: "h\(i)")
                #expect(try await ReceiveClient.post(client, body: body).status == .accepted)
            }
            #expect(try await ReceiveClient.post(client, body: "{}", headers: [:]).status == .unauthorized)
            gateway.metrics.sampleHistory(queue: ["netflix": try await gateway.queue.stats(platform: "netflix")], at: 6000)
            let json = try ReceiveClient.json(try await client.execute(uri: "/api/v1/webhooks/metrics/history", method: .get))
            #expect(json["interval_seconds"] == .number("5"))
            guard case .array(let points)? = json["points"], let last = points.last,
                let start = points.firstIndex(where: { $0["at"] == .number("1000") })
            else {
                Issue.record("no points: \(json)")
                return
            }
            #expect(last["at"] == .number("6000"))
            // The monitor samples too (every 5 s): what happened between the two samples is in the points after the first.
            func sum(_ field: String) -> Int {
                points[(start + 1)...].reduce(0) { total, point in
                    guard case .number(let text)? = point["platforms"]?["netflix"]?[field] else { return total }
                    return total + (Int(text) ?? 0)
                }
            }
            #expect(sum("received") == 4)
            #expect(sum("accepted") == 3)
            #expect(sum("refused") == 1)
            let netflix = last["platforms"]?["netflix"]
            #expect(netflix?["pending"] == .number("3"))
        }
    }
}
