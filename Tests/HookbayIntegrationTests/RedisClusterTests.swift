import Foundation
import HookbayRedis
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOPosix
import Testing

@testable import Hookbay

/// The queue on a real Redis Cluster (three primaries, a replica each: `scripts/redis-cluster`): commands reach the
/// node serving their slot, redirects are followed while a slot migrates and after, and receiving, processing,
/// retries, dead-lettering, stats and replicated acknowledgements work as on one server.
///
/// One test at a time: they share the cluster, and one pauses a primary's writes while another migrates a slot
/// (`MIGRATE` holds its whole source node until the target, perhaps the paused one, has taken the key: the paused
/// primary then delays a second primary's platforms, which the pause test counts against the client).
@Suite(
    .serialized,
    .enabled(if: TestRedis.clusterEnabled, "set HOOKBAY_TEST_REDIS_CLUSTER_URL (bash scripts/test does) to run the Redis Cluster tests"))
struct RedisClusterTests {
    static func cluster() throws -> RedisClient {
        RedisClient(configuration: try RedisConfiguration(url: TestRedis.clusterURL()), logger: Fixtures.logger)
    }

    /// A client of one node alone (follows no redirect).
    static func node(_ address: RedisNodeAddress) -> RedisClient {
        RedisClient(configuration: RedisConfiguration(host: address.host, port: address.port), logger: Fixtures.logger)
    }

    /// Platform ids whose streams are served by every primary, `perPrimary` of them each.
    static func platformsOnEveryPrimary(_ map: RedisClusterMap, perPrimary: Int = 1) -> [String] {
        var chosen: [RedisNodeAddress: [String]] = [:]
        while chosen.count < map.primaries.count || chosen.values.contains(where: { $0.count < perPrimary }) {
            let platform = Fixtures.uniqueID()
            let slot = RedisClusterSlot.of(key: QueueKeys(platform: platform).incoming)
            guard let primary = map.primary(for: slot), chosen[primary, default: []].count < perPrimary else { continue }
            chosen[primary, default: []].append(platform)
        }
        return chosen.values.flatMap { $0 }
    }

    @Test func learnsTheMapAndSendsEachKeyToTheNodeServingIt() async throws {
        let redis = try Self.cluster()
        defer { redis.shutdown() }
        let primaries = try await redis.primaries()
        #expect(primaries.count == 3)
        let map = try #require(redis.clusterMap)
        #expect((0..<RedisClusterSlot.count).allSatisfy { map.primary(for: $0) != nil })
        #expect(try await redis.sendToEveryPrimary(["PING"]).map(\.string) == ["PONG", "PONG", "PONG"])

        let prefix = Fixtures.uniqueID()
        let keys = (0..<64).map { "{\(prefix)-\($0)}" }
        for (index, key) in keys.enumerated() { _ = try await redis.send(["SET", .string(key), .string("v\(index)")]) }
        for (index, key) in keys.enumerated() {
            let value = try await redis.send(["GET", .string(key)])
            #expect(value.string == "v\(index)")
        }
        // Each key is where the map says: its node alone has it.
        var nodesUsed = Set<RedisNodeAddress>()
        for (index, key) in keys.enumerated() {
            let owner = try #require(map.primary(for: RedisClusterSlot.of(key: key)))
            nodesUsed.insert(owner)
            let direct = Self.node(owner)
            let value = try await direct.send(["GET", .string(key)])
            direct.shutdown()
            #expect(value.string == "v\(index)")
        }
        #expect(nodesUsed.count == 3)
        for key in keys { _ = try await redis.send(["DEL", .string(key)]) }

        // A client that shares the map knows it without learning it, and routes by it on connections of its own.
        let sharing = RedisClient(configuration: redis.configuration, logger: Fixtures.logger, sharingMapWith: redis)
        defer { sharing.shutdown() }
        #expect(sharing.clusterMap == map)
        _ = try await sharing.send(["SET", .string(keys[0]), "shared"])
        #expect(try await redis.send(["GET", .string(keys[0])]).string == "shared")
        _ = try await sharing.send(["DEL", .string(keys[0])])
    }

    @Test func followsAskWhileASlotMigratesAndMovedOnceItHas() async throws {
        let redis = try Self.cluster()
        defer { redis.shutdown() }
        _ = try await redis.primaries()
        let map = try #require(redis.clusterMap)
        let tag = Fixtures.uniqueID()
        let old = "{\(tag)}:old"
        let new = "{\(tag)}:new"
        let slot = RedisClusterSlot.of(key: old)
        let source = try #require(map.primary(for: slot))
        let target = try #require(map.primaries.first { $0 != source })
        let (sourceNode, targetNode) = (Self.node(source), Self.node(target))
        let everyPrimary = map.primaries.map(Self.node)
        defer {
            sourceNode.shutdown()
            targetNode.shutdown()
            for node in everyPrimary { node.shutdown() }
        }
        let sourceID = try #require(try await sourceNode.send(["CLUSTER", "MYID"]).string)
        let targetID = try #require(try await targetNode.send(["CLUSTER", "MYID"]).string)
        _ = try await redis.send(["SET", .string(old), "before"])

        do {
            // Migrating: the source still serves the keys it has, and answers ASK for the others.
            _ = try await targetNode.send(["CLUSTER", "SETSLOT", .integer(slot), "IMPORTING", .string(sourceID)])
            _ = try await sourceNode.send(["CLUSTER", "SETSLOT", .integer(slot), "MIGRATING", .string(targetID)])
            _ = try await redis.send(["SET", .string(new), "during"])
            #expect(try await redis.send(["GET", .string(old)]).string == "before")
            // The source does not have it (it answers ASK for it); the target has it, for a client that says ASKING.
            await #expect(throws: RedisError.self) { _ = try await sourceNode.send(["EXISTS", .string(new)]) }
            _ = try await targetNode.send(["ASKING"])
            #expect(try await targetNode.send(["EXISTS", .string(new)]).int == 1)

            // Migrated: the client's map still names the source, which answers MOVED.
            _ = try await sourceNode.send(["MIGRATE", .string(target.host), .integer(target.port), "", "0", "5000", "KEYS", .string(old)])
            for node in [targetNode, sourceNode] + everyPrimary {
                _ = try await node.send(["CLUSTER", "SETSLOT", .integer(slot), "NODE", .string(targetID)])
            }
            #expect(redis.clusterMap?.primary(for: slot) == source)
            #expect(try await redis.send(["GET", .string(old)]).string == "before")
            #expect(try await redis.send(["GET", .string(new)]).string == "during")
            #expect(redis.clusterMap?.primary(for: slot) == target)
        } catch {
            // Not left half-migrated for the next run.
            for node in [sourceNode, targetNode] { _ = try? await node.send(["CLUSTER", "SETSLOT", .integer(slot), "STABLE"]) }
            throw error
        }
        // Put the slot back where it was (empty, it needs no migration).
        _ = try await redis.send(["DEL", .string(old), .string(new)])
        for node in [sourceNode, targetNode] + everyPrimary {
            _ = try await node.send(["CLUSTER", "SETSLOT", .integer(slot), "NODE", .string(sourceID)])
        }
    }

    @Test func eventsOfPlatformsOnEveryPrimaryAreReceivedAndAppliedOnce() async throws {
        let probe = try Self.cluster()
        _ = try await probe.primaries()
        let platforms = Self.platformsOnEveryPrimary(try #require(probe.clusterMap), perPrimary: 2)
        probe.shutdown()
        var files: [String: String] = [:]
        for platform in platforms {
            files["\(platform).yaml"] = Fixtures.platformYAML(id: platform, extra: "adapter: netflix\nrate_limit: { per_minute: 100000 }")
        }
        let dir = try Fixtures.configDirectory(files)
        let (app, gateway) = try buildApplication(
            configuration: Fixtures.gateway(configDirectory: dir, redisURL: TestRedis.clusterURL(), workers: 2),
            environment: Fixtures.environment, logger: Fixtures.logger)
        let perPlatform = 15
        try await app.test(.live) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for platform in platforms {
                    group.addTask {
                        for index in 0..<perPlatform {
                            // Every other one large: its body is kept apart, on its platform's node.
                            let body = Fixtures.envelope(
                                platform: platform, contentID: "c\(index)", padding: index % 2 == 1 ? RedisWebhookQueue.inlineBodyLimit : 0)
                            let status = try await ReceiveClient.post(client, platform: platform, body: body).status
                            #expect(status == .accepted)
                        }
                        // A retry of the last one is a duplicate.
                        let again = Fixtures.envelope(platform: platform, contentID: "c\(perPlatform - 1)")
                        #expect(try await ReceiveClient.post(client, platform: platform, body: again).status == .ok)
                    }
                }
                try await group.waitForAll()
            }
            for platform in platforms {
                #expect(try await eventually { try await gateway.queue.stats(platform: platform).processed == perPlatform })
                #expect(try await gateway.store.appliedEventCount(platform: platform) == perPlatform)
                let stats = try await gateway.queue.stats(platform: platform)
                #expect(stats == PlatformQueueStats(pending: 0, processing: 0, deadLetter: 0, processed: perPlatform))
            }
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
        }
    }

    @Test func retriesDeadLettersAndReplaysOnTheCluster() async throws {
        let dead = try await ProcessingScenarios.retriesWithBackoffThenDeadLetters(redisURL: TestRedis.clusterURL())
        #expect(dead.count == 1)
        #expect(dead.first?.string("attempts") == "3")
        let invalid = try await ProcessingScenarios.invalidIsDeadLetteredAtOnce(redisURL: TestRedis.clusterURL())
        #expect(invalid.first?.string("attempts") == "1")

        // Replay across the cluster: the entry goes back to its platform's stream, on its node.
        let redis = try Self.cluster()
        defer { redis.shutdown() }
        let queue = RedisWebhookQueue(client: redis)
        let entry = try #require(invalid.first)
        let moved = try await queue.replayDeadLetters(platform: entry.platform, ids: [entry.id])
        #expect(moved.replayed == 1 && moved.missing.isEmpty)
        #expect(try await queue.stats(platform: entry.platform).deadLetter == 0)
        #expect(try await redis.xlen(QueueKeys(platform: entry.platform).incoming) >= 1)
    }

    @Test func replicatedAcknowledgementsWaitOnEachPrimary() async throws {
        let redis = try Self.cluster()
        defer { redis.shutdown() }
        _ = try await redis.primaries()
        let platforms = Self.platformsOnEveryPrimary(try #require(redis.clusterMap))
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let pinned = RedisClient(configuration: redis.configuration, eventLoopGroup: loop, logger: Fixtures.logger)
        defer { pinned.shutdown() }
        func events(_ prefix: String) -> [QueuedEvent] {
            platforms.flatMap { platform in
                (0..<5).map { index in
                    QueuedEvent(
                        eventID: "\(prefix)-\(index)", platform: platform, eventType: .contentAdded, sourceEventType: "content_added",
                        receivedAtMilliseconds: 1,
                        envelope: ByteBuffer(
                            string: Fixtures.envelope(platform: platform, padding: index % 2 == 1 ? RedisWebhookQueue.inlineBodyLimit : 0)))
                }
            }
        }
        // One replica each: confirmed by every primary's WAIT, in one turn of the event loop.
        let replicated = RedisWebhookQueue(client: redis, eventLoopClients: [pinned], replication: .init(replicas: 1, timeout: .seconds(2)))
        let batch = events("one")
        let futures = try await loop.submit { batch.map { replicated.enqueue($0, ttlSeconds: 60, on: loop) } }.get()
        for future in futures {
            let result = try await future.get()
            guard case .accepted = result else {
                Issue.record("answered \(result)")
                continue
            }
        }
        #expect(try await replicated.connectedReplicas() == 1)

        // A primary that holds its writes (CLIENT PAUSE) holds up only its own platforms: the others' deliveries in the
        // same event-loop turn are confirmed by their primaries' WAITs meanwhile.
        let map = try #require(redis.clusterMap)
        let slowPlatform = platforms[0]
        let slowPrimary = try #require(map.primary(for: RedisClusterSlot.of(key: QueueKeys(platform: slowPlatform).incoming)))
        let others = platforms.filter { map.primary(for: RedisClusterSlot.of(key: QueueKeys(platform: $0).incoming)) != slowPrimary }
        #expect(!others.isEmpty)
        let slow = Self.node(slowPrimary)
        defer { slow.shutdown() }
        _ = try await slow.send(["CLIENT", "PAUSE", "2000", "WRITE"])
        let held = events("paused").filter { $0.platform == slowPlatform || others.contains($0.platform) }
        let heldFutures = try await loop.submit {
            held.map { event in replicated.enqueue(event, ttlSeconds: 60, on: loop).map { ($0, ContinuousClock.now) } }
        }.get()
        var slowAnsweredAt: [ContinuousClock.Instant] = []
        var othersAnsweredAt: [ContinuousClock.Instant] = []
        for (event, future) in zip(held, heldFutures) {
            let (result, at) = try await future.get()
            guard case .accepted = result else {
                Issue.record("\(event.platform) answered \(result)")
                continue
            }
            if event.platform == slowPlatform { slowAnsweredAt.append(at) } else { othersAnsweredAt.append(at) }
        }
        let lastOther = try #require(othersAnsweredAt.max())
        let firstSlow = try #require(slowAnsweredAt.min())
        // Answered apart by most of the pause, not together once it ended (a margin for a loaded machine).
        #expect(firstSlow - lastOther > .milliseconds(500), "the other primaries' deliveries waited for the paused one")
    }
}
