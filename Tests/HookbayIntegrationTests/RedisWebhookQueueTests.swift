import Foundation
import HTTPTypes
import HookbayJSON
import HookbayRedis
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// The receive path against a real Redis, over real HTTP.
@Suite(.enabled(if: TestRedis.enabled, "set REDIS_URL (bash scripts/test does) to run the Redis tests"))
struct RedisReceiveTests {
    static func app(platform: String, extra: String = "", redisURL: String? = nil) throws -> (some ApplicationProtocol, Gateway) {
        let dir = try Fixtures.configDirectory(["p.yaml": Fixtures.platformYAML(id: platform, extra: extra)])
        return try buildApplication(
            configuration: Fixtures.gateway(configDirectory: dir, redisURL: redisURL ?? TestRedis.url()),
            environment: Fixtures.environment,
            logger: Fixtures.logger
        )
    }

    static func redis(_ url: String? = nil) throws -> RedisClient {
        RedisClient(configuration: try RedisConfiguration(url: url ?? TestRedis.url()), logger: Fixtures.logger)
    }

    @Test func acceptedEventIsInTheStreamWithItsDedupKeyAndTTL() async throws {
        let platform = Fixtures.uniqueID()
        let keys = QueueKeys(platform: platform)
        let (app, _) = try Self.app(platform: platform, extra: "dedup_ttl_hours: 2")
        let redis = try Self.redis()
        defer { redis.shutdown() }
        try await app.test(.live) { client in
            // The consumer group exists as soon as the server runs.
            #expect(try await redis.xinfoGroups(keys.incoming).map(\.name) == [QueueKeys.consumerGroup])

            let body = Fixtures.envelope(platform: platform)
            let response = try await ReceiveClient.post(client, platform: platform, body: body)
            #expect(response.status == .accepted)
            let eventID = try #require(try ReceiveClient.json(response)["event_id"]?.stringValue)

            let ttl = try await redis.ttl(keys.dedup(eventID: eventID))
            #expect((7100...7200).contains(ttl))
            let range = try await redis.send(["XRANGE", .string(keys.incoming), "-", "+"])
            let entries = try #require(range.array)
            #expect(entries.count == 1)
            let entry = try #require(entries.first?.array)
            let streamID = try #require(entry[0].string)
            #expect(try await redis.send(["GET", .string(keys.dedup(eventID: eventID))]).string == streamID)
            let flat = try #require(entry[1].array).map { $0.string ?? "" }
            let fields = Dictionary(uniqueKeysWithValues: stride(from: 0, to: flat.count, by: 2).map { (flat[$0], flat[$0 + 1]) })
            #expect(fields["event_id"] == eventID)
            #expect(fields["platform"] == platform)
            #expect(fields["event_type"] == "content_added")
            #expect(fields["source_event_type"] == "content_added")
            #expect(fields["envelope"] == body)
            #expect(fields["payload_pointer"] == "/payload")
            // The enqueue script names the fields itself: the names and order of `QueuedEvent.fields`, as the
            // embedded queue writes them.
            let names = stride(from: 0, to: flat.count, by: 2).map { flat[$0] }
            let sample = QueuedEvent(
                eventID: "e", platform: "p", eventType: .contentAdded, sourceEventType: "s",
                receivedAtMilliseconds: 0, envelope: ByteBuffer())
            #expect(names == sample.fields.map(\.0))
            let receivedAt = try #require(Int64(fields["received_at"] ?? ""))
            #expect(abs(receivedAt - WallClock.milliseconds()) < 60_000)

            let duplicate = try await ReceiveClient.post(client, platform: platform, body: body)
            #expect(duplicate.status == .ok)
            #expect(try ReceiveClient.json(duplicate)["status"] == .string("duplicate"))
            #expect(try await redis.xlen(keys.incoming) == 1)

            let stats = try ReceiveClient.json(try await client.execute(uri: "/api/v1/webhooks/stats", method: .get))
            #expect(stats["platforms"]?[platform]?["pending_count"] == .number("1"))
            #expect(stats["platforms"]?[platform]?["processing_count"] == .number("0"))
            _ = try await redis.send(["DEL", .string(keys.incoming), .string(keys.dedup(eventID: eventID))])
        }
    }

    /// Concurrent through the router, not over sockets: a client pool's late connections racing the test's server
    /// shutdown trip NIO's debug assertion (apple/swift-nio#3481); the enqueue scripts still run concurrently on Redis.
    @Test func hundredConcurrentIdenticalPostsMakeOneEntry() async throws {
        let platform = Fixtures.uniqueID()
        let keys = QueueKeys(platform: platform)
        let (app, _) = try Self.app(platform: platform, extra: "rate_limit: { per_minute: 10000 }")
        let redis = try Self.redis()
        defer { redis.shutdown() }
        try await app.test(.router) { client in
            let body = Fixtures.envelope(platform: platform, contentID: "same")
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<100 {
                    group.addTask { try await ReceiveClient.post(client, platform: platform, body: body).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .accepted }.count == 1)
            #expect(statuses.filter { $0 == .ok }.count == 99)
            #expect(try await redis.xlen(keys.incoming) == 1)
        }
        _ = try await redis.send(["DEL", .string(keys.incoming)])
    }

    @Test func everyRefusalOnRedis() async throws {
        let platform = Fixtures.uniqueID()
        let keys = QueueKeys(platform: platform)
        let (app, _) = try Self.app(platform: platform, extra: "rate_limit: { per_minute: 1, burst: 1 }")
        let redis = try Self.redis()
        defer { redis.shutdown() }
        try await app.test(.live) { client in
            let body = Fixtures.envelope(platform: platform)
            try ReceiveClient.expectError(try await ReceiveClient.post(client, platform: "unknown-x", body: body), .notFound, "unsupported_platform")
            try ReceiveClient.expectError(
                try await ReceiveClient.post(client, platform: platform, body: body, headers: [:]), .unauthorized, "invalid_signature")
            let bad = #"{"event_type":"content_added","platform":"\#(platform)","timestamp":"t","payload":{}}"#
            try ReceiveClient.expectError(
                try await ReceiveClient.post(client, platform: platform, body: bad), .badRequest, "invalid_payload", contains: "content_id")
            // The invalid one took the only token.
            let limited = try await ReceiveClient.post(client, platform: platform, body: body)
            try ReceiveClient.expectError(limited, .tooManyRequests, "rate_limit_exceeded")
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try await redis.xlen(keys.incoming) == 0)
        }
        _ = try await redis.send(["DEL", .string(keys.incoming)])
    }
}

/// Redis going away under a running gateway, with a private `redis-server`.
@Suite(.enabled(if: TestRedis.canSpawn, "needs redis-server installed"))
struct RedisOutageTests {
    @Test func redisDownAnswers503ThenRecoversWithoutLosingTheRetry() async throws {
        let server = try await RedisServerProcess.started()
        defer { server.stop() }
        let platform = Fixtures.uniqueID()
        let (app, _) = try RedisReceiveTests.app(platform: platform, redisURL: server.url)
        let redis = RedisClient(configuration: .init(port: server.port, reconnectBackoff: .milliseconds(50)), logger: Fixtures.logger)
        defer { redis.shutdown() }
        try await app.test(.live) { client in
            #expect(
                try await ReceiveClient.post(client, platform: platform, body: Fixtures.envelope(platform: platform, contentID: "a")).status
                    == .accepted)

            server.stop()
            let body = Fixtures.envelope(platform: platform, contentID: "b")
            let refused = try await ReceiveClient.post(client, platform: platform, body: body)
            try ReceiveClient.expectError(refused, .serviceUnavailable, "queue_unavailable")
            #expect(refused.headers[.retryAfter] != nil)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .serviceUnavailable)

            // Redis comes back empty (no persistence): the gateway reconnects by itself and the refused delivery's
            // retry is accepted, not mistaken for a duplicate.
            try await server.start()
            var status: HTTPResponse.Status = .serviceUnavailable
            for _ in 0..<50 where status == .serviceUnavailable {
                status = try await ReceiveClient.post(client, platform: platform, body: body).status
                if status == .serviceUnavailable { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == .accepted)
            // Ready again within a few reconnect back-offs (a connection that failed waits 250 ms before retrying).
            var ready: HTTPResponse.Status = .serviceUnavailable
            for _ in 0..<20 where ready != .ok {
                ready = try await client.execute(uri: "/readyz", method: .get).status
                if ready != .ok { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(ready == .ok)
            let keys = QueueKeys(platform: platform)
            #expect(try await redis.xlen(keys.incoming) == 1)
            // The consumer group went with Redis's data: a worker's read finds it missing, creates it from id 0, and
            // its next read hands over the entry accepted meanwhile.
            let queue = RedisWebhookQueue(client: redis)
            var read: [StreamEntry] = []
            for _ in 0..<3 where read.isEmpty {
                read = try await queue.read(platforms: [platform], consumer: "c", count: 10, pending: false, block: .milliseconds(10))
            }
            #expect(read.map { $0.string("envelope") } == [body])
            #expect(try await redis.xinfoGroups(keys.incoming).map(\.name) == [QueueKeys.consumerGroup])
        }
    }
}
