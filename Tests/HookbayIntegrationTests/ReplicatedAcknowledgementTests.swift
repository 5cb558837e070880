import Foundation
import HookbayRedis
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// `--redis-wait-replicas`: a delivery is answered 2xx only once a replica has its enqueue, and `503
/// queue_unavailable` when none confirms it in time; the deliveries of a turn, and those that arrive while a `WAIT` is
/// outstanding, share one `WAIT` (a group commit). A private primary and replica, real `WAIT`.
@Suite(.enabled(if: TestRedis.canSpawn, "needs redis-server installed"))
struct ReplicatedAcknowledgementTests {
    @Test func deliveriesWaitForTheirReplica() async throws {
        let (primary, replica, replicaClient) = try await Self.primaryAndLinkedReplica()
        defer {
            replicaClient.shutdown()
            replica.stop()
            primary.stop()
        }

        let platform = Fixtures.uniqueID()
        let keys = QueueKeys(platform: platform)
        let dir = try Fixtures.configDirectory(["p.yaml": Fixtures.platformYAML(id: platform)])
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: primary.url)
        configuration.redisWaitReplicas = 1
        configuration.redisWaitTimeout = .milliseconds(300)
        let primaryClient = RedisClient(configuration: .init(port: primary.port), logger: Fixtures.logger)
        defer { primaryClient.shutdown() }
        let (app, gateway) = try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // Through the event-loop path (a plain delivery) and through the queue's own call: each confirmed.
            let first = await HookbayProcess.postSigned(port: port, platform: platform, contentID: "replicated-1")
            #expect(first?.status == 202, "\(String(describing: first))")
            let event = QueuedEvent(
                eventID: "replicated-2", platform: platform, eventType: .contentAdded, sourceEventType: "content_added",
                receivedAtMilliseconds: 1, envelope: ByteBuffer(string: Fixtures.envelope(platform: platform, contentID: "replicated-2")))
            let second = try await gateway.queue.enqueue(event, ttlSeconds: 60)
            guard case .accepted = second else {
                Issue.record("the queue's own enqueue answered \(second)")
                return
            }
            // Many at once: each batch waits for one WAIT, and what arrives meanwhile goes out with the next.
            let statuses = await withTaskGroup(of: Int?.self) { group in
                for index in 0..<40 {
                    group.addTask { await HookbayProcess.postSigned(port: port, platform: platform, contentID: "many-\(index)")?.status }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 202 }, "\(statuses)")
            // Twenty admitted in one event-loop turn share one WAIT.
            let queue = try #require(gateway.queue as? RedisWebhookQueue)
            let loop = try #require(queue.eventLoopClients.first?.eventLoop)
            let before = try await Self.waitCalls(primaryClient)
            let results = try await Self.enqueueInOneTurn(queue, on: loop, platform: platform, prefix: "turn")
            #expect(results.allSatisfy { if case .success(.accepted) = $0 { true } else { false } }, "\(results)")
            #expect(try await Self.waitCalls(primaryClient) - before == 1)
            // A 2xx means the replica has the entry.
            let onReplica = try await replicaClient.send(["XLEN", .string(keys.incoming)]).int
            #expect(onReplica == 62)
            // A large body the primary refuses (out of memory) fails its delivery with Redis's own reason, after the WAIT.
            _ = try await primaryClient.send(["CONFIG", "SET", "maxmemory", "1"])
            let oom = QueuedEvent(
                eventID: "oom", platform: platform, eventType: .contentAdded, sourceEventType: "content_added", receivedAtMilliseconds: 1,
                envelope: ByteBuffer(string: Fixtures.envelope(platform: platform, contentID: "oom", padding: RedisWebhookQueue.inlineBodyLimit)))
            do {
                let answered = try await loop.submit { queue.enqueue(oom, ttlSeconds: 60, on: loop) }.get().get()
                Issue.record("accepted by a primary out of memory: \(answered)")
            } catch {
                #expect("\(error)".contains("Redis refused the event's body: OOM"), "\(error)")
            }
            _ = try await primaryClient.send(["CONFIG", "SET", "maxmemory", "0"])

            // Without its replica the primary still takes the enqueue, but nothing confirms it: 503, and the sender's
            // retry is then a duplicate of what the primary holds.
            replica.stop()
            let started = ContinuousClock.now
            let refused = await HookbayProcess.postSigned(port: port, platform: platform, contentID: "unreplicated")
            #expect(refused?.status == 503)
            #expect(refused?.body.contains("queue_unavailable") == true, "\(String(describing: refused))")
            #expect(ContinuousClock.now - started >= .milliseconds(300), "WAIT is given its whole timeout")
            // Three turns of twenty while a WAIT is outstanding: the first goes out with its WAIT, the two others
            // gather behind it and share the next one (not one 300 ms WAIT per turn, queued in Redis).
            let beforeBurst = try await Self.waitCalls(primaryClient)
            let turn = ContinuousClock.now
            async let turnA = Self.enqueueInOneTurn(queue, on: loop, platform: platform, prefix: "refused-a")
            try await Task.sleep(for: .milliseconds(50))
            async let turnB = Self.enqueueInOneTurn(queue, on: loop, platform: platform, prefix: "refused-b")
            try await Task.sleep(for: .milliseconds(50))
            async let turnC = Self.enqueueInOneTurn(queue, on: loop, platform: platform, prefix: "refused-c")
            let refusedInTurns = try await turnA + turnB + turnC
            #expect(refusedInTurns.allSatisfy { if case .failure = $0 { true } else { false } }, "\(refusedInTurns)")
            #expect(ContinuousClock.now - turn < .seconds(2), "refused in \(ContinuousClock.now - turn)")
            #expect(try await Self.waitCalls(primaryClient) - beforeBurst == 2)
            // And over HTTP, concurrently (a client connection pool of six: a bound that only catches a pile-up).
            let burst = ContinuousClock.now
            let refusals = await withTaskGroup(of: Int?.self) { group in
                for index in 0..<20 {
                    group.addTask { await HookbayProcess.postSigned(port: port, platform: platform, contentID: "burst-\(index)")?.status }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(refusals.allSatisfy { $0 == 503 }, "\(refusals)")
            #expect(ContinuousClock.now - burst < .seconds(10), "refused in \(ContinuousClock.now - burst)")
        }
    }

    /// A private primary, and a replica of it once linked, with a client of the replica.
    static func primaryAndLinkedReplica() async throws -> (RedisServerProcess, RedisServerProcess, RedisClient) {
        let primary = try await RedisServerProcess.started()
        let replica = try await RedisServerProcess.started(arguments: ["--replicaof", "127.0.0.1", String(primary.port)])
        let replicaClient = RedisClient(configuration: .init(port: replica.port), logger: Fixtures.logger)
        let linked = try await eventually {
            let info = try await replicaClient.send(["INFO", "replication"]).string ?? ""
            return info.contains("master_link_status:up")
        }
        guard linked else {
            replicaClient.shutdown()
            replica.stop()
            primary.stop()
            throw TestSetupError("the replica did not link to its primary")
        }
        return (primary, replica, replicaClient)
    }

    /// WAIT commands the primary has run (`INFO commandstats`).
    static func waitCalls(_ client: RedisClient) async throws -> Int {
        let text = try await client.send(["INFO", "commandstats"]).string ?? ""
        guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_wait:") }) else { return 0 }
        let calls = line.split(separator: ",").first { $0.hasPrefix("cmdstat_wait:calls=") }
        return calls.flatMap { Int($0.dropFirst("cmdstat_wait:calls=".count)) } ?? 0
    }

    /// Twenty enqueues admitted in one turn of `loop`, as the event-loop receive path admits a busy turn's deliveries.
    static func enqueueInOneTurn(
        _ queue: RedisWebhookQueue, on loop: any EventLoop, platform: String, prefix: String
    ) async throws -> [Result<EnqueueResult, any Error>] {
        let futures = try await loop.submit {
            (0..<20).map { index in
                let event = QueuedEvent(
                    eventID: "\(prefix)-\(index)", platform: platform, eventType: .contentAdded, sourceEventType: "content_added",
                    receivedAtMilliseconds: 1,
                    envelope: ByteBuffer(
                        string: Fixtures.envelope(
                            platform: platform, contentID: "\(prefix)-\(index)",
                            padding: index % 2 == 1 ? RedisWebhookQueue.inlineBodyLimit : 0)))
                return queue.enqueue(event, ttlSeconds: 60, on: loop)
            }
        }.get()
        var results: [Result<EnqueueResult, any Error>] = []
        for future in futures {
            do { results.append(.success(try await future.get())) } catch { results.append(.failure(error)) }
        }
        return results
    }
}
