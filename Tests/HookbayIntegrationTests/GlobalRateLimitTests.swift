import Foundation
import HTTPTypes
import HookbayRedis
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Hookbay

/// `rate_limit.scope: global`: one token bucket in Redis, shared by every gateway on it.
@Suite(.enabled(if: TestRedis.enabled, "set REDIS_URL (bash scripts/test does) to run the Redis tests"))
struct GlobalRateLimitTests {
    /// Two gateways (each with its own in-process limiter) over one Redis, deliveries alternating between them, over
    /// real HTTP: a global bucket of 5 admits 5 in all; an instance one admits 5 in each.
    @Test(arguments: [PlatformConfig.RateLimit.Scope.global, .instance])
    func twoGatewaysShareTheGlobalBucket(_ scope: PlatformConfig.RateLimit.Scope) async throws {
        let platform = Fixtures.uniqueID()
        let keys = QueueKeys(platform: platform)
        let dir = try Fixtures.configDirectory([
            "p.yaml": Fixtures.platformYAML(id: platform, extra: "rate_limit: { per_minute: 1, burst: 5, scope: \(scope.rawValue) }")
        ])
        let configuration = try Fixtures.gateway(configDirectory: dir, redisURL: TestRedis.url(), workers: 0)
        let (first, _) = try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
        let (second, _) = try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestRedis.url()), logger: Fixtures.logger)
        defer { redis.shutdown() }
        // Each answer's status and Retry-After.
        let answers = try await first.test(.live) { one in
            try await second.test(.live) { two in
                var answers: [(status: Int, retryAfter: Int?)] = []
                for i in 0..<16 {
                    let body = Fixtures.envelope(platform: platform, contentID: "c\(i)")
                    let response =
                        i.isMultiple(of: 2)
                        ? try await ReceiveClient.post(one, platform: platform, body: body)
                        : try await ReceiveClient.post(two, platform: platform, body: body)
                    if response.status == .tooManyRequests {
                        try ReceiveClient.expectError(response, .tooManyRequests, "rate_limit_exceeded")
                    }
                    answers.append((response.status.code, response.headers[.retryAfter].flatMap { Int($0) }))
                }
                return answers
            }
        }
        let statuses = answers.map(\.status)
        let retryAfter = answers.filter { $0.status == 429 }.map { $0.retryAfter ?? 0 }
        let admitted = scope == .global ? 5 : 10
        #expect(statuses.filter { $0 == 202 }.count == admitted, "\(statuses)")
        #expect(statuses.filter { $0 == 429 }.count == 16 - admitted, "\(statuses)")
        // One token a minute: the next is up to a minute away, never less than a second.
        #expect(retryAfter.allSatisfy { (1...60).contains($0) }, "\(retryAfter)")
        #expect(try await redis.xlen(keys.incoming) == admitted)
        let bucket = try await redis.send(["PTTL", .string(keys.rateLimit)]).int ?? -2
        if scope == .global {
            // Expires once it would be full again: 5 tokens at one a minute, 5 minutes at most (and a second).
            #expect((1...301_000).contains(bucket), "PTTL \(bucket)")
        } else {
            #expect(bucket == -2, "an instance limit wrote a bucket to Redis")
        }
        _ = try await redis.send(["DEL", .string(keys.incoming), .string(keys.rateLimit)])
    }

    /// A duplicate takes no token from a shared bucket; a bucket written by hand with garbage (a negative or infinite
    /// count, a time in the far future, another type) is started afresh rather than locking the platform out.
    @Test func duplicatesAndAGarbledBucket() async throws {
        let platform = Fixtures.uniqueID()
        let keys = QueueKeys(platform: platform)
        let dir = try Fixtures.configDirectory([
            "p.yaml": Fixtures.platformYAML(id: platform, extra: "rate_limit: { per_minute: 1, burst: 2, scope: global }")
        ])
        let redis = RedisClient(configuration: try RedisConfiguration(url: TestRedis.url()), logger: Fixtures.logger)
        defer { redis.shutdown() }
        func statuses(_ ids: [String]) async throws -> [Int] {
            // A new gateway each time: nothing remembered in process from the last round.
            let (app, _) = try buildApplication(
                configuration: Fixtures.gateway(configDirectory: dir, redisURL: TestRedis.url(), workers: 0), environment: Fixtures.environment,
                logger: Fixtures.logger)
            return try await app.test(.live) { client in
                var codes: [Int] = []
                for id in ids {
                    codes.append(
                        try await ReceiveClient.post(client, platform: platform, body: Fixtures.envelope(platform: platform, contentID: id)).status
                            .code)
                }
                return codes
            }
        }
        #expect(try await statuses(["a", "b", "a", "c"]) == [202, 202, 200, 429])
        for garbage in [["HSET", keys.rateLimit, "tokens", "-inf", "at", "1"], ["HSET", keys.rateLimit, "tokens", "nan", "at", "1e300"]] {
            _ = try await redis.send(["DEL", .string(keys.rateLimit)])
            _ = try await redis.send(garbage.map { .string($0) })
            #expect(try await statuses(["d-\(garbage[3])"]) == [202], "bucket \(garbage)")
        }
        _ = try await redis.send(["DEL", .string(keys.rateLimit)])
        _ = try await redis.send(["SET", .string(keys.rateLimit), "not a hash"])
        #expect(try await statuses(["e"]) == [202])
        _ = try await redis.send(["DEL", .string(keys.incoming), .string(keys.rateLimit)])
    }

    /// With Redis gone, a global limit cannot be taken: deliveries are refused as for any queue outage.
    @Test(.enabled(if: TestRedis.canSpawn)) func aGlobalLimitWithoutRedisIsAQueueOutage() async throws {
        let server = try await RedisServerProcess.started()
        defer { server.stop() }
        let platform = Fixtures.uniqueID()
        let dir = try Fixtures.configDirectory([
            "p.yaml": Fixtures.platformYAML(id: platform, extra: "rate_limit: { per_minute: 600, scope: global }")
        ])
        let (app, _) = try buildApplication(
            configuration: Fixtures.gateway(configDirectory: dir, redisURL: server.url, workers: 0), environment: Fixtures.environment,
            logger: Fixtures.logger)
        try await app.test(.live) { client in
            let before = try await ReceiveClient.post(client, platform: platform, body: Fixtures.envelope(platform: platform, contentID: "a"))
            #expect(before.status == .accepted)
            server.stop()
            let during = try await ReceiveClient.post(client, platform: platform, body: Fixtures.envelope(platform: platform, contentID: "b"))
            try ReceiveClient.expectError(during, .serviceUnavailable, "queue_unavailable")
        }
    }
}
