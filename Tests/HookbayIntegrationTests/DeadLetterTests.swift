import Foundation
import HTTPTypes
import HookbayJSON
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// The dead-letter admin API and CLI.
enum DeadLetterScenarios {
    static let token = "admin-token-7e3b"

    static func app(redisURL: String?, adminToken: String? = token) throws -> (some ApplicationProtocol, Gateway, String) {
        let platform = Fixtures.uniqueID()
        let dir = try Fixtures.configDirectory(["p.yaml": Fixtures.platformYAML(id: platform, extra: "adapter: netflix")])
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: redisURL, workers: 1)
        configuration.adminToken = adminToken
        let (app, gateway) = try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
        return (app, gateway, platform)
    }

    /// Puts a valid event into the dead-letter stream as a failed processing would: enqueued, read, dead-lettered. Its
    /// body is over ``RedisWebhookQueue/inlineBodyLimit``, so that on Redis it is kept apart from its entry.
    static func deadLetter(_ gateway: Gateway, platform: String, contentID: String) async throws {
        let body = Fixtures.envelope(platform: platform, contentID: contentID, padding: RedisWebhookQueue.inlineBodyLimit)
        let event = QueuedEvent(
            eventID: Fixtures.uniqueID("e"), platform: platform, eventType: .contentAdded,
            sourceEventType: "content_added", receivedAtMilliseconds: WallClock.milliseconds(),
            envelope: ByteBuffer(string: body))
        try await gateway.queue.prepare(platforms: [platform])
        guard case .accepted = try await gateway.queue.enqueue(event, ttlSeconds: 60) else {
            Issue.record("not accepted")
            return
        }
        let read = try await gateway.queue.read(
            platforms: [platform], consumer: "dead-letter-test", count: 1, pending: false, block: .milliseconds(10))
        let entry = try #require(read.first)
        try await gateway.queue.deadLetter(entry, error: "invalid: downstream said no", attempts: 5)
    }

    static var auth: HTTPFields { [.authorization: "Bearer \(token)"] }

    static func listReplayPurge(redisURL: String?) async throws {
        let (app, gateway, platform) = try app(redisURL: redisURL)
        try await deadLetter(gateway, platform: platform, contentID: "back-again")
        try await deadLetter(gateway, platform: platform, contentID: "gone-for-good")
        try await app.test(.router) { client in
            let listed = try ReceiveClient.json(
                try await client.execute(uri: "/api/v1/webhooks/dlq/\(platform)?count=10", method: .get, headers: auth))
            guard case .array(let entries)? = listed["entries"] else {
                Issue.record("no entries: \(listed)")
                return
            }
            #expect(entries.count == 2)
            #expect(entries[0]["error"] == .string("invalid: downstream said no"))
            #expect(entries[0]["attempts"] == .string("5"))
            #expect(entries[0]["envelope"]?["payload"]?["content_id"] == .string("back-again"))
            #expect(listed["next"] == .null)
            let ids = entries.compactMap { $0["id"]?.stringValue }

            // Paging.
            let page = try ReceiveClient.json(try await client.execute(uri: "/api/v1/webhooks/dlq/\(platform)?count=1", method: .get, headers: auth))
            #expect(page["next"] == .string(ids[0]))

            let replay = try await client.execute(
                uri: "/api/v1/webhooks/dlq/\(platform)/replay", method: .post, headers: auth,
                body: ByteBuffer(string: #"{"ids":["\#(ids[0])","9-9"]}"#))
            #expect(replay.status == .ok)
            #expect(try ReceiveClient.json(replay) == .object(["replayed": .number("1"), "missing": .array([.string("9-9")])]))
            #expect(try await eventually { try await gateway.store.content(platform: platform, contentID: "back-again") != nil })

            let purge = try await client.execute(
                uri: "/api/v1/webhooks/dlq/\(platform)", method: .delete, headers: auth,
                body: ByteBuffer(string: #"{"ids":["\#(ids[1])"]}"#))
            #expect(try ReceiveClient.json(purge) == .object(["purged": .number("1")]))
            #expect(try await gateway.queue.stats(platform: platform).deadLetter == 0)
            #expect(try await gateway.store.content(platform: platform, contentID: "gone-for-good") == nil)

            try ReceiveClient.expectError(
                try await client.execute(uri: "/api/v1/webhooks/dlq/\(platform)", method: .delete, headers: auth),
                .badRequest, "bad_request", contains: "ids")
            try ReceiveClient.expectError(
                try await client.execute(uri: "/api/v1/webhooks/dlq/unknown-p", method: .get, headers: auth),
                .notFound, "unsupported_platform")
        }
    }

    /// `order=newest` pages from the last dead letter back to the first, the mirror of the default order.
    static func newestFirst(redisURL: String?) async throws {
        let (app, gateway, platform) = try app(redisURL: redisURL)
        for i in 0..<5 { try await deadLetter(gateway, platform: platform, contentID: "n\(i)") }
        try await app.test(.router) { client in
            func page(_ query: String) async throws -> (ids: [String], next: String?) {
                let json = try ReceiveClient.json(
                    try await client.execute(uri: "/api/v1/webhooks/dlq/\(platform)?\(query)", method: .get, headers: auth))
                guard case .array(let entries)? = json["entries"] else { return ([], nil) }
                return (entries.compactMap { $0["id"]?.stringValue }, json["next"]?.stringValue)
            }
            let oldest = try await page("count=10")
            #expect(oldest.ids.count == 5)
            var newest: [String] = []
            var after: String?
            repeat {
                let next = try await page("count=2&order=newest" + (after.map { "&after=\($0)" } ?? ""))
                newest += next.ids
                after = next.next
            } while after != nil
            #expect(newest == oldest.ids.reversed())
            #expect(try await page("count=10&order=oldest").ids == oldest.ids)
            #expect(try await page("count=10&order=newest&after=0-0").ids.isEmpty)
            #expect(try await page("count=10&order=newest&after=0-1").ids.isEmpty)
            try ReceiveClient.expectError(
                try await client.execute(uri: "/api/v1/webhooks/dlq/\(platform)?order=sideways", method: .get, headers: auth),
                .badRequest, "bad_request", contains: "order")
        }
    }
}

@Suite struct DeadLetterTests {
    @Test func listReplayPurge() async throws { try await DeadLetterScenarios.listReplayPurge(redisURL: nil) }

    @Test func newestFirst() async throws { try await DeadLetterScenarios.newestFirst(redisURL: nil) }

    @Test func replayAllWithoutIDs() async throws {
        let (app, gateway, platform) = try DeadLetterScenarios.app(redisURL: nil)
        for i in 0..<3 { try await DeadLetterScenarios.deadLetter(gateway, platform: platform, contentID: "r\(i)") }
        try await app.test(.router) { client in
            let replay = try await client.execute(uri: "/api/v1/webhooks/dlq/\(platform)/replay", method: .post, headers: DeadLetterScenarios.auth)
            #expect(try ReceiveClient.json(replay)["replayed"] == .number("3"))
            #expect(try await eventually { try await gateway.store.appliedEventCount(platform: platform) == 3 })
        }
    }

    @Test func adminEndpointsNeedTheToken() async throws {
        let (app, _, platform) = try DeadLetterScenarios.app(redisURL: nil)
        try await app.test(.router) { client in
            let uri = "/api/v1/webhooks/dlq/\(platform)"
            try ReceiveClient.expectError(try await client.execute(uri: uri, method: .get), .unauthorized, "unauthorized", contains: "missing")
            try ReceiveClient.expectError(
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer wrong"]), .unauthorized, "unauthorized")
            try ReceiveClient.expectError(
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(DeadLetterScenarios.token)x"]), .unauthorized,
                "unauthorized")
            try ReceiveClient.expectError(
                try await client.execute(uri: uri, method: .get, headers: [.authorization: DeadLetterScenarios.token]), .unauthorized, "unauthorized")
            try ReceiveClient.expectError(try await client.execute(uri: uri + "/replay", method: .post), .unauthorized, "unauthorized")
            #expect(try await client.execute(uri: uri, method: .get, headers: DeadLetterScenarios.auth).status == .ok)
        }
    }

    @Test func badPagingAndIDsAreRefusedBeforeTheQueue() async throws {
        let (app, _, platform) = try DeadLetterScenarios.app(redisURL: nil)
        try await app.test(.router) { client in
            let uri = "/api/v1/webhooks/dlq/\(platform)"
            for query in ["after=%C2%81w5I", "after=1-", "after=-1", "after=99999999999999999999-0", "count=abc", "count=0", "count=1001"] {
                try ReceiveClient.expectError(
                    try await client.execute(uri: uri + "?" + query, method: .get, headers: DeadLetterScenarios.auth),
                    .badRequest, "bad_request")
            }
            #expect(try await client.execute(uri: uri + "?after=0-0&count=5", method: .get, headers: DeadLetterScenarios.auth).status == .ok)
            for body in [#"{"ids":[""]}"#, #"{"ids":["1-x"]}"#, #"{"ids":[]}"#, #"{"ids":[7]}"#] {
                try ReceiveClient.expectError(
                    try await client.execute(
                        uri: uri + "/replay", method: .post, headers: DeadLetterScenarios.auth,
                        body: ByteBuffer(string: body)), .badRequest, "bad_request", contains: "ids")
                try ReceiveClient.expectError(
                    try await client.execute(
                        uri: uri, method: .delete, headers: DeadLetterScenarios.auth,
                        body: ByteBuffer(string: body)), .badRequest, "bad_request", contains: "ids")
            }
        }
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
        let (app, _, platform) = try DeadLetterScenarios.app(redisURL: nil)
        try await app.test(.router) { client in
            let cases: [(String, HTTPRequest.Method, String)] = [
                ("/healthz", .post, "GET"),
                ("/api/v1/webhooks/\(platform)", .put, "GET, POST"),
                ("/api/v1/webhooks/dlq/\(platform)", .put, "DELETE, GET"),
                ("/api/v1/webhooks/metrics", .delete, "GET"), // the static route wins over /api/v1/webhooks/{platform}
                ("/metrics", .init("TRACE")!, "GET"),
            ]
            for (uri, method, allow) in cases {
                let response = try await client.execute(uri: uri, method: method)
                try ReceiveClient.expectError(response, .methodNotAllowed, "method_not_allowed")
                #expect(response.headers[.allow] == allow, "\(method) \(uri)")
            }
            #expect(try await client.execute(uri: "/no/such/path", method: .get).status == .notFound)
        }
    }

    @Test func adminEndpointsAreOffWithoutAToken() async throws {
        let (app, _, platform) = try DeadLetterScenarios.app(redisURL: nil, adminToken: nil)
        try await app.test(.router) { client in
            try ReceiveClient.expectError(
                try await client.execute(uri: "/api/v1/webhooks/dlq/\(platform)", method: .get, headers: DeadLetterScenarios.auth),
                .forbidden, "forbidden", contains: "set HOOKBAY_ADMIN_TOKEN")
        }
    }
}

@Suite(.enabled(if: TestRedis.enabled, "set REDIS_URL (bash scripts/test does) to run the Redis tests"))
struct RedisDeadLetterTests {
    @Test func listReplayPurge() async throws { try await DeadLetterScenarios.listReplayPurge(redisURL: TestRedis.url()) }

    @Test func newestFirst() async throws { try await DeadLetterScenarios.newestFirst(redisURL: TestRedis.url()) }

    @Test func cliListsReplaysAndPurges() async throws {
        let (app, gateway, platform) = try DeadLetterScenarios.app(redisURL: TestRedis.url())
        try await DeadLetterScenarios.deadLetter(gateway, platform: platform, contentID: "cli-1")
        try await DeadLetterScenarios.deadLetter(gateway, platform: platform, contentID: "cli-2")
        let base = ["--platform", platform, "--redis-url", try TestRedis.url()]
        let list = try await HookbayProcess.runToEnd(["dlq", "list"] + base)
        #expect(list.status == 0, "\(list.output)")
        let lines = list.output.split(separator: "\n")
        #expect(lines.count == 2)
        let first = try JSONParser.parse(Array(lines[0].utf8))
        let firstID = try #require(first["id"]?.stringValue)
        #expect(first["envelope"]?["payload"]?["content_id"] == .string("cli-1"))

        let purge = try await HookbayProcess.runToEnd(["dlq", "purge"] + base + ["--id", firstID])
        #expect(purge.output.contains("purged 1"))
        try await app.test(.router) { _ in
            let replay = try await HookbayProcess.runToEnd(["dlq", "replay"] + base)
            #expect(replay.output.contains("replayed 1"), "\(replay.output)")
            #expect(try await eventually { try await gateway.store.content(platform: platform, contentID: "cli-2") != nil })
            #expect(try await gateway.store.content(platform: platform, contentID: "cli-1") == nil)
        }
        let missing = try await HookbayProcess.runToEnd(["dlq", "replay"] + base + ["--id", "1-1"])
        #expect(missing.status == 1)
        #expect(missing.output.contains("not found: 1-1"))
    }
}
