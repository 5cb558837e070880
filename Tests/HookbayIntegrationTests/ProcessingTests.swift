import Foundation
import GRDB
import HookbayJSON
import HookbayRedis
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// Receive → queue → worker → adapter → SQLite, on either queue backend.
enum ProcessingScenarios {
    static func stats(_ gateway: Gateway, _ platform: String) async throws -> PlatformQueueStats {
        try await gateway.queue.stats(platform: platform)
    }

    static func endToEnd(redisURL: String?) async throws {
        let (app, gateway, platform) = try ReceiveClient.processingApp(extra: "adapter: netflix", redisURL: redisURL)
        try await app.test(.live) { client in
            let body =
                #"{"event_type":"content_added","platform":"\#(platform)","timestamp":"2025-12-06T00:00:00Z","payload":{"content_id":"m1","title":"Film","content_type":"movie","regions":["US"]}}"#
            #expect(try await ReceiveClient.post(client, platform: platform, body: body).status == .accepted)
            #expect(try await eventually { try await stats(gateway, platform).processed == 1 })
            let row = try #require(try await gateway.store.content(platform: platform, contentID: "m1"))
            #expect(row.title == "Film")
            #expect(row.contentType == "movie")
            #expect(row.attributes == .object(["regions": .array([.string("US")])]))
            #expect(try await stats(gateway, platform) == PlatformQueueStats(pending: 0, processing: 0, deadLetter: 0, processed: 1))

            let content = try await client.execute(uri: "/api/v1/content/\(platform)/m1", method: .get)
            #expect(content.status == .ok)
            #expect(try ReceiveClient.json(content)["title"] == .string("Film"))
            #expect(try await client.execute(uri: "/api/v1/content/\(platform)/nope", method: .get).status == .notFound)
            let json = try ReceiveClient.json(try await client.execute(uri: "/api/v1/webhooks/stats", method: .get))
            #expect(json["platforms"]?[platform]?["total_processed"] == .number("1"))
        }
    }

    static func retriesWithBackoffThenDeadLetters(redisURL: String?) async throws -> [StreamEntry] {
        let plugin = try await TestPlugins.build(variant: "PROCESS_RETRY")
        let (app, gateway, platform) = try ReceiveClient.processingApp(
            extra: "retry: { max_attempts: 3, base_delay_ms: 200, max_delay_ms: 400 }", redisURL: redisURL, plugin: plugin)
        return try await app.test(.live) { client in
            let started = WallClock.milliseconds()
            #expect(try await ReceiveClient.post(client, platform: platform, body: Fixtures.envelope(platform: platform)).status == .accepted)
            #expect(try await eventually { try await stats(gateway, platform).deadLetter == 1 })
            let elapsed = WallClock.milliseconds() - started
            // Two waits between three attempts: at least half of 200 ms + 400 ms with jitter.
            #expect(elapsed >= 300, "dead-lettered after \(elapsed) ms")
            #expect(try await stats(gateway, platform) == PlatformQueueStats(pending: 0, processing: 0, deadLetter: 1, processed: 0))
            #expect(try await gateway.store.appliedEventCount(platform: platform) == 0)
            return try await deadLetters(gateway, platform)
        }
    }

    static func invalidIsDeadLetteredAtOnce(redisURL: String?) async throws -> [StreamEntry] {
        let plugin = try await TestPlugins.build(variant: "PROCESS_INVALID")
        let (app, gateway, platform) = try ReceiveClient.processingApp(extra: "", redisURL: redisURL, plugin: plugin)
        return try await app.test(.live) { client in
            #expect(try await ReceiveClient.post(client, platform: platform, body: Fixtures.envelope(platform: platform)).status == .accepted)
            #expect(try await eventually { try await stats(gateway, platform).deadLetter == 1 })
            #expect(try await stats(gateway, platform).processing == 0)
            return try await deadLetters(gateway, platform)
        }
    }

    static func twoWorkersApplyEveryEventOnce(redisURL: String?, events: Int = 200) async throws {
        let (app, gateway, platform) = try ReceiveClient.processingApp(extra: "rate_limit: { per_minute: 100000 }", redisURL: redisURL, workers: 2)
        try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<events {
                    group.addTask {
                        let body = Fixtures.envelope(platform: platform, contentID: "c\(i)")
                        let status = try await ReceiveClient.post(client, platform: platform, body: body).status
                        #expect(status == .accepted)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await eventually { try await stats(gateway, platform).processed == events })
            #expect(try await gateway.store.appliedEventCount(platform: platform) == events)
            #expect(try await stats(gateway, platform) == PlatformQueueStats(pending: 0, processing: 0, deadLetter: 0, processed: events))
        }
    }

    static func deadLetters(_ gateway: Gateway, _ platform: String) async throws -> [StreamEntry] {
        try await gateway.queue.deadLetters(platform: platform, after: nil, count: 100)
    }
}

@Suite struct ProcessingTests {
    @Test func endToEnd() async throws { try await ProcessingScenarios.endToEnd(redisURL: nil) }

    /// One event the database itself refuses (a trigger raising an error on its row) is dead-lettered with the
    /// database's reason; its batch mates are applied.
    @Test(arguments: TestStores.backends) func anEventTheDatabaseRefusesDoesNotFailItsBatchMates(_ backend: TestStores.Backend) async throws {
        let (app, gateway, platform) = try ReceiveClient.processingApp(extra: "adapter: netflix", redisURL: nil, workers: 0)
        if case .sqlite(let path) = gateway.configuration.database, backend == .sqlite {
            try await DatabaseQueue(path: path).write { db in
                try db.execute(
                    sql: """
                        CREATE TRIGGER poison BEFORE INSERT ON content WHEN NEW.content_id = 'poison'
                        BEGIN SELECT RAISE(ABORT, 'poisoned content'); END
                        """)
            }
        }
        let ids = ["a", "b", "poison", "c", "d"]
        try await app.test(.router) { client in
            for id in ids {
                let response = try await ReceiveClient.post(client, platform: platform, body: Fixtures.envelope(platform: platform, contentID: id))
                #expect(response.status == .accepted)
            }
        }
        let entries = try await gateway.queue.read(platforms: [platform], consumer: "batch", count: 10, pending: false, block: .zero)
        #expect(entries.count == 5)
        let trigger = "poison_\(platform.filter { $0.isLetter || $0.isNumber })"
        if backend == .postgres {
            try await TestStores.executePostgres([
                """
                CREATE FUNCTION \(trigger)() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'poisoned content' USING ERRCODE = 'check_violation'; END $$
                """,
                """
                CREATE TRIGGER \(trigger) BEFORE INSERT ON content FOR EACH ROW
                WHEN (NEW.platform = '\(platform)' AND NEW.content_id = 'poison') EXECUTE FUNCTION \(trigger)()
                """,
            ])
        }
        defer {
            if backend == .postgres {
                Task { try? await TestStores.executePostgres(["DROP TRIGGER \(trigger) ON content", "DROP FUNCTION \(trigger)()"]) }
            }
        }
        try await TestStores.with(backend) { postgres, _ in
            let store = backend == .sqlite ? gateway.store : postgres
            let processor = EventProcessor(
                platforms: gateway.platforms, queue: gateway.queue, store: store, metrics: gateway.metrics, logger: Fixtures.logger)
            let outcomes = await processor.handle(batch: entries)
            for (id, outcome) in zip(ids, outcomes) {
                if id == "poison" {
                    guard case .deadLettered(let error) = outcome, error.contains("refused") else {
                        Issue.record("poison: \(outcome)")
                        continue
                    }
                    #expect(error.contains("poisoned content"), "\(error)")
                } else {
                    #expect(outcome == .applied, "\(id)")
                    let row = try await store.content(platform: platform, contentID: id)
                    #expect(row != nil)
                }
            }
            let poisoned = try await store.content(platform: platform, contentID: "poison")
            #expect(poisoned == nil)
        }
        let stats = try await gateway.queue.stats(platform: platform)
        #expect(stats.processed == 4)
        #expect(stats.deadLetter == 1)
    }

    @Test func retriesWithBackoffThenDeadLetters() async throws {
        let dead = try await ProcessingScenarios.retriesWithBackoffThenDeadLetters(redisURL: nil)
        #expect(dead.count == 1)
        #expect(dead.first?.string("attempts") == "3")
        #expect(dead.first?.string("error")?.contains("downstream is unavailable") == true)
    }

    @Test func invalidIsDeadLetteredAtOnce() async throws {
        let dead = try await ProcessingScenarios.invalidIsDeadLetteredAtOnce(redisURL: nil)
        #expect(dead.first?.string("attempts") == "1")
        #expect(dead.first?.string("error") == "invalid: content is not acceptable")
        #expect(dead.first?.string("envelope")?.contains("content_id") == true)
    }

    @Test func twoWorkersApplyEveryEventOnce() async throws {
        try await ProcessingScenarios.twoWorkersApplyEveryEventOnce(redisURL: nil)
    }
}

@Suite(.enabled(if: TestRedis.enabled, "set REDIS_URL (bash scripts/test does) to run the Redis tests"))
struct RedisProcessingTests {
    @Test func endToEnd() async throws { try await ProcessingScenarios.endToEnd(redisURL: TestRedis.url()) }

    @Test func retriesWithBackoffThenDeadLetters() async throws {
        let dead = try await ProcessingScenarios.retriesWithBackoffThenDeadLetters(redisURL: TestRedis.url())
        #expect(dead.count == 1)
        #expect(dead.first?.string("attempts") == "3")
        #expect(dead.first?.string("original_id") != nil)
        #expect(dead.first?.string("event_id")?.count == 64)
    }

    @Test func invalidIsDeadLetteredAtOnce() async throws {
        let dead = try await ProcessingScenarios.invalidIsDeadLetteredAtOnce(redisURL: TestRedis.url())
        #expect(dead.first?.string("attempts") == "1")
    }

    @Test func twoWorkersApplyEveryEventOnce() async throws {
        try await ProcessingScenarios.twoWorkersApplyEveryEventOnce(redisURL: TestRedis.url())
    }
}
