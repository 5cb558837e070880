import HookbayRedis
import HookbayTestSupport
import NIOCore
import Testing

@Suite(.enabled(if: TestRedis.enabled, "set REDIS_URL (bash scripts/test does) to run the Redis tests"))
struct RedisClientTests {
    func client() throws -> RedisClient {
        RedisClient(configuration: try RedisConfiguration(url: TestRedis.url()), logger: Fixtures.logger)
    }

    @Test func pingAndTypedReplies() async throws {
        let redis = try client()
        defer { redis.shutdown() }
        try await redis.ping()
        let key = Fixtures.uniqueID("k")
        #expect(try await redis.send(["SET", .string(key), "hello", "EX", "60"]) == .simpleString("OK"))
        #expect(try await redis.send(["GET", .string(key)]).string == "hello")
        #expect(try await redis.send(["GET", .string(key + "-none")]) == .null)
        #expect(try await redis.ttl(key) > 0)
        #expect(try await redis.send(["DEL", .string(key)]) == .integer(1))
    }

    @Test func errorRepliesAreTyped() async throws {
        let redis = try client()
        defer { redis.shutdown() }
        await #expect {
            try await redis.send(["NOSUCHCOMMAND"])
        } throws: { error in
            (error as? RedisError)?.serverErrorCode == "ERR"
        }
        // The connection stays usable after an error reply.
        try await redis.ping()
    }

    @Test func binarySafeBulkStrings() async throws {
        let redis = try client()
        defer { redis.shutdown() }
        let key = Fixtures.uniqueID("bin")
        let bytes: [UInt8] = [0, 13, 10, 255, 36, 42]
        _ = try await redis.send(["SET", .string(key), .bytes(ByteBuffer(bytes: bytes)), "EX", "60"])
        guard case .bulkString(let value) = try await redis.send(["GET", .string(key)]) else {
            Issue.record("not a bulk string")
            return
        }
        #expect(Array(value.readableBytesView) == bytes)
    }

    @Test func pipelinesManyConcurrentCommandsOnOneConnection() async throws {
        let redis = try client()
        defer { redis.shutdown() }
        let key = Fixtures.uniqueID("ctr")
        let replies = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<2000 {
                group.addTask { try await redis.send(["INCR", .string(key)]).int ?? -1 }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        // Every command got its own reply: 1...2000, each exactly once.
        #expect(replies.sorted() == Array(1...2000))
        _ = try await redis.send(["DEL", .string(key)])
    }

    @Test func scriptsRunByShaAndReloadAfterFlush() async throws {
        let redis = try client()
        defer { redis.shutdown() }
        let script = RedisScript("return ARGV[1] .. '-' .. KEYS[1]")
        #expect(try await redis.evalScript(script, keys: ["k"], args: ["v"]).string == "v-k")
        #expect(try await redis.send(["SCRIPT", "EXISTS", .string(script.sha1)]) == .array([.integer(1)]))
        #expect(try await redis.evalScript(script, keys: ["k2"], args: ["v2"]).string == "v2-k2")
    }

    @Test func groupCreationIsIdempotent() async throws {
        let redis = try client()
        defer { redis.shutdown() }
        let stream = "test:stream:{\(Fixtures.uniqueID())}"
        #expect(try await redis.xgroupCreate(stream: stream, group: "g") == true)
        #expect(try await redis.xgroupCreate(stream: stream, group: "g") == false)
        let groups = try await redis.xinfoGroups(stream)
        #expect(groups.map(\.name) == ["g"])
        #expect(groups.first?.lag == 0)
        #expect(try await redis.xinfoGroups(stream + "-missing") == [])
        _ = try await redis.send(["DEL", .string(stream)])
    }

    @Test func connectionRefusedIsTypedAndFast() async throws {
        let redis = RedisClient(configuration: .init(port: 1, connectTimeout: .seconds(1)), logger: Fixtures.logger)
        defer { redis.shutdown() }
        await #expect {
            try await redis.ping()
        } throws: { error in
            if case .connectionFailed = error as? RedisError { return true }
            return false
        }
    }
}

@Suite(.enabled(if: TestRedis.canSpawn, "needs redis-server installed"))
struct RedisReconnectTests {
    @Test func reconnectsAfterRedisRestarts() async throws {
        let server = try await RedisServerProcess.started()
        let redis = RedisClient(
            configuration: .init(port: server.port, connectTimeout: .seconds(1), reconnectBackoff: .milliseconds(50)),
            logger: Fixtures.logger
        )
        defer {
            redis.shutdown()
            server.stop()
        }
        try await redis.ping()
        server.stop()
        await #expect(throws: RedisError.self) { try await redis.ping() }
        try await server.start()
        // Within the back-off window commands may still fail fast; after it the client connects again by itself.
        var reconnected = false
        for _ in 0..<40 where !reconnected {
            reconnected = (try? await redis.ping()) != nil
            if !reconnected { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(reconnected)
    }

    @Test func commandTimeoutClosesTheConnection() async throws {
        let server = try await RedisServerProcess.started()
        let redis = RedisClient(configuration: .init(port: server.port, commandTimeout: .milliseconds(300)), logger: Fixtures.logger)
        defer {
            redis.shutdown()
            server.stop()
        }
        // A blocking pop that waits longer than the command timeout.
        await #expect(throws: RedisError.timeout) { try await redis.send(["BLPOP", .string(Fixtures.uniqueID()), "2"]) }
        try await redis.ping()
    }
}
