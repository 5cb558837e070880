import HookbayRedis
import HookbayTestSupport
import NIOCore
import Testing

@testable import Hookbay

/// A request body of ``RedisWebhookQueue/inlineBodyLimit`` bytes or more, kept apart from its stream entry
/// (`webhooks:body:{platform}:<ref>`), lives exactly as long as the entry: kept when accepted, never left behind by a
/// duplicate, a refusal or a lost write, carried by dead-lettering and replay, deleted by completion and purge.
@Suite(.enabled(if: TestRedis.enabled, "set REDIS_URL (bash scripts/test does) to run the Redis tests"))
struct RedisBodyTests {
    /// A JSON body of just over the inline limit, naming `label`.
    static func large(_ label: String) -> String {
        #"{"payload":{"content_id":"\#(label)","pad":""# + String(repeating: "x", count: RedisWebhookQueue.inlineBodyLimit) + #""}}"#
    }

    static func event(_ platform: String, id: String, body: String) -> QueuedEvent {
        QueuedEvent(
            eventID: id, platform: platform, eventType: .contentAdded, sourceEventType: "content_added",
            receivedAtMilliseconds: WallClock.milliseconds(), envelope: ByteBuffer(string: body))
    }

    /// Every body key of `platform`, with its TTL.
    static func bodies(_ redis: RedisClient, _ platform: String) async throws -> [String: Int] {
        let reply = try await redis.send(["KEYS", .string(QueueKeys(platform: platform).bodyPrefix + "*")])
        var found: [String: Int] = [:]
        for key in (reply.array ?? []).compactMap(\.string) { found[key] = try await redis.ttl(key) }
        return found
    }

    static func isDuplicate(_ result: EnqueueResult) -> Bool {
        if case .duplicate = result { return true }
        return false
    }

    static func isAccepted(_ result: EnqueueResult) -> Bool {
        if case .accepted = result { return true }
        return false
    }

    /// Runs `body` with a new platform, a client, and a queue whose consumer group exists; the platform's keys are
    /// deleted afterwards.
    static func withQueue(url: String? = nil, _ body: (String, RedisClient, RedisWebhookQueue) async throws -> Void) async throws {
        let platform = Fixtures.uniqueID()
        let redis = try RedisReceiveTests.redis(url)
        defer { redis.shutdown() }
        let queue = RedisWebhookQueue(client: redis)
        try await queue.prepare(platforms: [platform])
        try await body(platform, redis, queue)
        try await Self.clean(redis, platform)
    }

    static func clean(_ redis: RedisClient, _ platform: String) async throws {
        let keys = QueueKeys(platform: platform)
        let bodies = try await Self.bodies(redis, platform).keys.map { RedisArgument.string($0) }
        _ = try await redis.send(["DEL", .string(keys.incoming), .string(keys.deadLetter), .string(keys.rateLimit)] + bodies)
    }

    @Test func aBodyLivesAsLongAsItsEntry() async throws {
        try await Self.withQueue { platform, redis, queue in
            let body = Self.large("kept")

            guard case .accepted = try await queue.enqueue(Self.event(platform, id: "a", body: body), ttlSeconds: 60) else {
                Issue.record("not accepted")
                return
            }
            // A duplicate, first in a call of its own, then twice in one call with a new event: one body per entry.
            #expect(Self.isDuplicate(try await queue.enqueue(Self.event(platform, id: "a", body: body), ttlSeconds: 60)))
            let pair = try await RedisWebhookQueue.enqueue(
                [Self.event(platform, id: "b", body: Self.large("other")), Self.event(platform, id: "b", body: Self.large("other"))], ttlSeconds: 60,
                client: redis,
                on: redis.eventLoopGroup.any()
            ).get().map { try $0.get() }
            #expect(pair.map(Self.isDuplicate) == [false, true])
            var stored = try await Self.bodies(redis, platform)
            #expect(stored.count == 2)
            #expect(stored.values.allSatisfy { $0 == -1 })

            // Read: the body is filled in; dead-lettered: the dead-letter entry carries the ref, not the body, and reads
            // back whole; replayed and completed: gone.
            let read = try await queue.read(platforms: [platform], consumer: "c", count: 10, pending: false, block: .milliseconds(10))
            #expect(read.map { $0.string("envelope") } == [body, Self.large("other")])
            try await queue.deadLetter(read[0], error: "failed", attempts: 1)
            let dlqRaw = try await redis.send(["XRANGE", .string(QueueKeys(platform: platform).deadLetter), "-", "+"])
            let dlqFields = try #require(dlqRaw.array?.first?.array?[1].array).compactMap(\.string)
            #expect(!dlqFields.contains("envelope"))
            #expect(dlqFields.contains(StreamEntry.bodyRefField))
            let dead = try await queue.deadLetters(platform: platform, after: nil, count: 10)
            #expect(dead.map { $0.string("envelope") } == [body])
            #expect(DeadLetterRoutes.json(dead[0])[StreamEntry.bodyRefField] == nil)
            #expect(try await queue.replayDeadLetters(platform: platform, ids: nil).replayed == 1)
            let again = try await queue.read(platforms: [platform], consumer: "c", count: 10, pending: false, block: .milliseconds(10))
            #expect(again.map { $0.string("envelope") } == [body])
            try await queue.complete(again + [read[1]], fanOut: [])
            stored = try await Self.bodies(redis, platform)
            #expect(stored.isEmpty)
            #expect(try await queue.stats(platform: platform).processed == 2)
        }
    }

    @Test func aPurgedDeadLetterTakesItsBodyWithIt() async throws {
        try await Self.withQueue { platform, redis, queue in
            _ = try await queue.enqueue(Self.event(platform, id: "p", body: Self.large("other")), ttlSeconds: 60)
            let read = try await queue.read(platforms: [platform], consumer: "c", count: 10, pending: false, block: .milliseconds(10))
            try await queue.deadLetter(read[0], error: "failed", attempts: 1)
            #expect(try await Self.bodies(redis, platform).count == 1)
            let dead = try await queue.deadLetters(platform: platform, after: nil, count: 10)
            #expect(try await queue.purgeDeadLetters(platform: platform, ids: dead.map(\.id) + ["1-1"]) == 1)
            #expect(try await Self.bodies(redis, platform).isEmpty)
        }
    }

    /// A completion by a consumer whose entry another one dead-lettered meanwhile (a takeover) leaves the dead-letter
    /// entry its body.
    @Test func aStaleCompletionLeavesADeadLetterItsBody() async throws {
        try await Self.withQueue { platform, redis, queue in
            _ = try await queue.enqueue(Self.event(platform, id: "t", body: Self.large("x")), ttlSeconds: 60)
            let read = try await queue.read(platforms: [platform], consumer: "slow", count: 10, pending: false, block: .milliseconds(10))
            let taken = try await queue.claimIdle(platform: platform, consumer: "other", minIdle: .zero, count: 10)
            #expect(taken.map { $0.string("envelope") } == [Self.large("x")])
            try await queue.deadLetter(taken[0], error: "failed", attempts: 1)
            try await queue.complete(read, fanOut: [])
            #expect(try await Self.bodies(redis, platform).count == 1)
            #expect(try await queue.deadLetters(platform: platform, after: nil, count: 10).map { $0.string("envelope") } == [Self.large("x")])
        }
    }

    /// A late dead-letter of an entry another consumer took over and completed, or dead-lettered already, adds no dead
    /// letter: it would name a body that is gone, or share one with another dead letter.
    @Test func anEntrySettledElsewhereIsNotDeadLettered() async throws {
        try await Self.withQueue { platform, redis, queue in
            _ = try await queue.enqueue(Self.event(platform, id: "done", body: Self.large("done")), ttlSeconds: 60)
            _ = try await queue.enqueue(Self.event(platform, id: "twice", body: Self.large("twice")), ttlSeconds: 60)
            let slow = try await queue.read(platforms: [platform], consumer: "slow", count: 10, pending: false, block: .milliseconds(10))
            let taken = try await queue.claimIdle(platform: platform, consumer: "other", minIdle: .zero, count: 10)
            #expect(taken.count == 2)
            try await queue.complete([taken[0]], fanOut: [])
            #expect(try await queue.deadLetter(taken[1], error: "failed", attempts: 1))
            for entry in slow { #expect(try await !queue.deadLetter(entry, error: "failed late", attempts: 1)) }
            let dead = try await queue.deadLetters(platform: platform, after: nil, count: 10)
            #expect(dead.map { $0.string("error") } == ["failed"])
            #expect(dead.map { $0.string("envelope") } == [Self.large("twice")])
            #expect(try await Self.bodies(redis, platform).count == 1)
            // An id that is not whole (`<ms>` alone) neither purges nor replays anything.
            let ms = String(dead[0].id.prefix { $0 != "-" })
            #expect(try await queue.purgeDeadLetters(platform: platform, ids: [ms]) == 0)
            #expect(try await queue.replayDeadLetters(platform: platform, ids: [ms]) == (0, [ms]))
            #expect(try await queue.deadLetters(platform: platform, after: nil, count: 10).count == 1)
        }
    }

    /// A worker that dead-letters an entry another worker took over and settled meanwhile says so: no dead letter,
    /// none counted.
    @Test func aWorkerSaysWhenAnEntryWasSettledElsewhere() async throws {
        let (app, gateway, platform) = try ReceiveClient.processingApp(extra: "adapter: netflix", redisURL: try TestRedis.url(), workers: 0)
        let body = Fixtures.envelope(platform: platform, contentID: "late", padding: RedisWebhookQueue.inlineBodyLimit)
        try await app.test(.router) { client in
            let response = try await ReceiveClient.post(client, platform: platform, body: body)
            #expect(response.status == .accepted)
            let queue = gateway.queue
            let slow = try await queue.read(platforms: [platform], consumer: "slow", count: 10, pending: false, block: .zero)
            let taken = try await queue.claimIdle(platform: platform, consumer: "other", minIdle: .zero, count: 10)
            #expect(slow.count == 1 && taken.count == 1)
            try await queue.complete(taken, fanOut: [])
            let processor = EventProcessor(
                platforms: gateway.platforms, queue: queue, store: gateway.store, metrics: gateway.metrics, logger: Fixtures.logger)
            #expect(await processor.deadLetterInterrupted(slow[0], interruptions: 3) == .settledElsewhere)
            let stats = try await queue.stats(platform: platform)
            #expect(stats.deadLetter == 0)
            #expect((gateway.metrics.snapshot().platforms[platform]?.failed ?? 0) == 0)
        }
    }

    /// A script Redis does not know (first use, a restart, `SCRIPT FLUSH`) is sent again as `EVAL` with its bodies'
    /// `SET`s before it: the event is accepted, its body kept. On a private server: a `SCRIPT FLUSH` on the shared one
    /// would pull scripts from under the tests running beside it.
    @Test(.enabled(if: TestRedis.canSpawn, "needs redis-server installed")) func aBodyIsSentAgainWithTheScript() async throws {
        let server = try await RedisServerProcess.started()
        defer { server.stop() }
        try await Self.withQueue(url: server.url) { platform, redis, queue in
            _ = try await redis.send(["SCRIPT", "FLUSH"])
            guard case .accepted = try await queue.enqueue(Self.event(platform, id: "again", body: Self.large("again")), ttlSeconds: 60) else {
                Issue.record("not accepted")
                return
            }
            #expect(try await Self.bodies(redis, platform).values.sorted() == [-1])
            let read = try await queue.read(platforms: [platform], consumer: "c", count: 10, pending: false, block: .milliseconds(10))
            #expect(read.map { $0.string("envelope") } == [Self.large("again")])
        }
    }

    /// The shared rate limit's refusal writes nothing, its body included.
    @Test func aRateLimitedEventLeavesNoBody() async throws {
        try await Self.withQueue { platform, redis, queue in
            var events = (0..<3).map { Self.event(platform, id: "r\($0)", body: Self.large("other")) }
            for i in events.indices { events[i].sharedRateLimit = PlatformConfig.RateLimit(perMinute: 1, burst: 1) }
            let results = try await RedisWebhookQueue.enqueue(events, ttlSeconds: 60, client: redis, on: redis.eventLoopGroup.any()).get()
                .map { try $0.get() }
            #expect(results.filter(Self.isAccepted).count == 1)
            #expect(try await Self.bodies(redis, platform).count == 1)
        }
    }

    /// A script that finds no body (its `SET` refused, or its key evicted) writes nothing for that event, and fails it
    /// alone: the others of the call are answered as usual.
    @Test func aLostBodyFailsItsEventAlone() async throws {
        try await Self.withQueue { platform, redis, queue in
            var call = RedisWebhookQueue.enqueueCall(
                [Self.event(platform, id: "lost", body: Self.large("lost")), Self.event(platform, id: "kept", body: Self.large("kept"))],
                ttlSeconds: 60)
            #expect(call.preceding.count == 2)
            if case .integer(let ttl)? = call.preceding[0].last {
                #expect(ttl == RedisWebhookQueue.bodyStagingSeconds)
            } else {
                Issue.record("no TTL")
            }
            call.preceding.removeFirst()
            let reply = try await redis.submitScript(call, on: redis.eventLoopGroup.any()).get()
            #expect(reply.array?.first?.int == 3)
            let results = try RedisWebhookQueue.enqueueResults(reply, count: 2)
            #expect(throws: QueueError.self) { try results[0].get() }
            #expect(Self.isAccepted(try results[1].get()))
            #expect(try await redis.xlen(QueueKeys(platform: platform).incoming) == 1)
            #expect(try await redis.send(["EXISTS", .string(QueueKeys(platform: platform).dedup(eventID: "lost"))]).int == 0)
            #expect(try await Self.bodies(redis, platform).values.sorted() == [-1])
            // Redis is asked why: it takes the probe, so the body had been evicted. The probe is gone in a second.
            let explained = try await RedisWebhookQueue.explainingLostBodies(results, of: call, client: redis, on: redis.eventLoopGroup.any())?.get()
            #expect(throws: QueueError.self) { try explained?[0].get() }
            if case .failure(let error)? = explained?[0] { #expect(error.description.contains("its key was gone"), "\(error)") }
            #expect(Self.isAccepted(try #require(explained?[1]).get()))
            #expect(
                RedisWebhookQueue.explainingLostBodies(
                    [try results[1].get()].map { .success($0) }, of: call, client: redis, on: redis.eventLoopGroup.any()) == nil)
            guard case .string(let probed) = call.keys[3] else { throw TestSetupError("the lost body's key is not a string") }
            #expect((0...1).contains(try await redis.ttl(probed)))
            #expect(try await redis.send(["GET", .string(probed)]).string == "")
            _ = try await redis.send(["DEL", .string(probed)])
        }
    }

    /// A body Redis refuses (out of memory) fails its event with Redis's own reason, not a guess.
    @Test(.enabled(if: TestRedis.canSpawn, "needs redis-server installed")) func aRefusedBodySaysWhy() async throws {
        let server = try await RedisServerProcess.started()
        defer { server.stop() }
        let redis = RedisClient(configuration: .init(port: server.port), logger: Fixtures.logger)
        defer { redis.shutdown() }
        let platform = Fixtures.uniqueID()
        let queue = RedisWebhookQueue(client: redis)
        try await queue.prepare(platforms: [platform])
        _ = try await redis.send(["CONFIG", "SET", "maxmemory", "1"])
        do {
            _ = try await queue.enqueue(Self.event(platform, id: "oom", body: Self.large("oom")), ttlSeconds: 60)
            Issue.record("accepted by a Redis out of memory")
        } catch {
            #expect(error.description.contains("Redis refused the event's body: OOM"), "\(error)")
        }
        _ = try await redis.send(["CONFIG", "SET", "maxmemory", "0"])
        #expect(try await redis.xlen(QueueKeys(platform: platform).incoming) == 0)
    }

    /// A forwarding delivery's large body is kept apart too, and read back as the lane entry's `body`; one Redis
    /// refuses (out of memory) goes inline instead, so that completing is not held up by it.
    @Test(.enabled(if: TestRedis.canSpawn, "needs redis-server installed")) func aDeliveryBodyIsKeptApartOrInlineWhenRefused() async throws {
        let server = try await RedisServerProcess.started()
        defer { server.stop() }
        try await Self.withQueue(url: server.url) { platform, redis, queue in
            let lane = QueueKeys.lane(platform: platform, destination: "d")
            try await queue.prepare(platforms: [lane])
            for id in ["kept", "refused"] {
                _ = try await queue.enqueue(Self.event(platform, id: id, body: #"{"payload":{}}"#), ttlSeconds: 60)
            }
            let read = try await queue.read(platforms: [platform], consumer: "c", count: 10, pending: false, block: .milliseconds(10))
            #expect(read.count == 2)
            func fanOut(_ entry: StreamEntry, _ label: String) -> FanOut {
                FanOut(
                    sourceID: entry.id, lane: lane,
                    fields: [("webhook_id", ByteBuffer(string: label)), ("body", ByteBuffer(string: Self.large(label)))])
            }
            try await queue.complete([read[0]], fanOut: [fanOut(read[0], "kept")])
            _ = try await redis.send(["CONFIG", "SET", "maxmemory", "1"])
            try await queue.complete([read[1]], fanOut: [fanOut(read[1], "refused")])
            _ = try await redis.send(["CONFIG", "SET", "maxmemory", "0"])
            #expect(try await queue.stats(platform: platform).processed == 2)
            let raw = try await redis.send(["XRANGE", .string(QueueKeys(platform: lane).incoming), "-", "+"])
            let names = (raw.array ?? []).map { entry in (entry.array?[1].array ?? []).compactMap(\.string) }
            #expect(names.count == 2)
            #expect(names.first?.contains(StreamEntry.bodyRefField) == true && names.first?.contains("body") == false)
            #expect(names.last?.contains("body") == true && names.last?.contains(StreamEntry.bodyRefField) == false)
            #expect(try await Self.bodies(redis, platform).values.filter { $0 == -1 }.count == 1)
            let deliveries = try await queue.read(platforms: [lane], consumer: "f", count: 10, pending: false, block: .milliseconds(10))
            #expect(deliveries.map { $0.string("body") } == [Self.large("kept"), Self.large("refused")])
            try await queue.complete(deliveries, fanOut: [])
            #expect(try await Self.bodies(redis, platform).values.filter { $0 == -1 }.isEmpty)
        }
    }

    /// A delivery's body kept apart lives as long as its lane entry: dead-lettered with it, shown as its `body`, purged
    /// with it; a completion that loses a takeover adds no delivery and leaves no body behind.
    @Test func aDeliveryBodyLivesAsLongAsItsLaneEntry() async throws {
        try await Self.withQueue { platform, redis, queue in
            let lane = QueueKeys.lane(platform: platform, destination: "d")
            let laneKeys = QueueKeys(platform: lane)
            try await queue.prepare(platforms: [lane])
            _ = try await queue.enqueue(Self.event(platform, id: "e", body: #"{"payload":{}}"#), ttlSeconds: 60)
            let slow = try await queue.read(platforms: [platform], consumer: "slow", count: 10, pending: false, block: .milliseconds(10))
            let taken = try await queue.claimIdle(platform: platform, consumer: "other", minIdle: .zero, count: 10)
            func fanOut(_ entry: StreamEntry, _ label: String) -> FanOut {
                FanOut(
                    sourceID: entry.id, lane: lane,
                    fields: [("webhook_id", ByteBuffer(string: label)), ("body", ByteBuffer(string: Self.large(label)))])
            }
            try await queue.complete(taken, fanOut: [fanOut(taken[0], "winner")])
            try await queue.complete(slow, fanOut: [fanOut(slow[0], "loser")])
            #expect(try await redis.xlen(laneKeys.incoming) == 1)
            #expect(try await Self.bodies(redis, platform).values.sorted() == [-1])
            let delivery = try await queue.read(platforms: [lane], consumer: "f", count: 10, pending: false, block: .milliseconds(10))
            #expect(delivery.map { $0.string("body") } == [Self.large("winner")])
            #expect(try await queue.deadLetter(delivery[0], error: "answered 500", attempts: 3))
            let dead = try await queue.deadLetters(platform: lane, after: nil, count: 10)
            #expect(dead.map { $0.string("body") } == [Self.large("winner")])
            #expect(DeadLetterRoutes.json(dead[0])["body"] != nil && DeadLetterRoutes.json(dead[0])[StreamEntry.bodyRefField] == nil)
            #expect(try await Self.bodies(redis, platform).values.sorted() == [-1])
            #expect(try await queue.purgeDeadLetters(platform: lane, ids: dead.map(\.id)) == 1)
            #expect(try await Self.bodies(redis, platform).isEmpty)
            _ = try await redis.send(["DEL", .string(laneKeys.incoming), .string(laneKeys.deadLetter)])
        }
    }

    /// A small body goes inline, in the entry's `envelope`, as before: no key of its own.
    @Test func aSmallBodyGoesInline() async throws {
        try await Self.withQueue { platform, redis, queue in
            let keys = QueueKeys(platform: platform)
            let small = #"{"payload":{}}"#
            let limit = String(repeating: "y", count: RedisWebhookQueue.inlineBodyLimit - 1)
            for (id, body) in [("s", small), ("edge", limit)] {
                guard case .accepted = try await queue.enqueue(Self.event(platform, id: id, body: body), ttlSeconds: 60) else {
                    Issue.record("not accepted")
                    return
                }
            }
            #expect(try await Self.bodies(redis, platform).isEmpty)
            let raw = try await redis.send(["XRANGE", .string(keys.incoming), "-", "+"])
            let names = (raw.array ?? []).map { entry in (entry.array?[1].array ?? []).compactMap(\.string) }
            #expect(names.allSatisfy { $0.contains("envelope") && !$0.contains(StreamEntry.bodyRefField) })
            let read = try await queue.read(platforms: [platform], consumer: "c", count: 10, pending: false, block: .milliseconds(10))
            #expect(read.map { $0.string("envelope") } == [small, limit])
        }
    }

    /// An entry written before bodies were kept apart (the body inline, as `envelope`) is read and completed as before.
    @Test func anEntryWithItsBodyInlineIsStillRead() async throws {
        try await Self.withQueue { platform, redis, queue in
            let keys = QueueKeys(platform: platform)
            let fields = Self.event(platform, id: "old", body: #"{"payload":{}}"#).fields
            _ = try await redis.send(["XADD", .string(keys.incoming), "*"] + fields.flatMap { [RedisArgument.string($0.0), .bytes($0.1)] })
            let read = try await queue.read(platforms: [platform], consumer: "c", count: 10, pending: false, block: .milliseconds(10))
            #expect(read.map { $0.string("envelope") } == [#"{"payload":{}}"#])
            try await queue.complete(read, fanOut: [])
            #expect(try await redis.xlen(keys.incoming) == 0)
        }
    }
}
