import HookbayRedis
import HookbayTestSupport
import NIOCore
import NIOPosix
import Testing

@testable import Hookbay

/// The deliveries an event loop admits in one turn share one enqueue script call per platform, each getting its own
/// answer. A private `redis-server`, so that its command counts are this test's alone.
@Suite(.enabled(if: TestRedis.canSpawn, "needs redis-server installed"))
struct EnqueueBatcherTests {
    /// A queue whose receive path is pinned to `eventLoop`, as `hookbay serve` builds it.
    struct Setup {
        let server: RedisServerProcess
        let eventLoop: any EventLoop
        let admin: RedisClient
        let queue: RedisWebhookQueue
        let clients: [RedisClient]

        init() async throws {
            self.server = try RedisServerProcess()
            try await self.server.start()
            self.eventLoop = MultiThreadedEventLoopGroup.singleton.next()
            let configuration = RedisConfiguration(port: self.server.port, reconnectBackoff: .zero)
            self.admin = RedisClient(configuration: configuration, logger: Fixtures.logger)
            let pinned = RedisClient(configuration: configuration, eventLoopGroup: self.eventLoop, logger: Fixtures.logger)
            self.clients = [self.admin, pinned]
            self.queue = RedisWebhookQueue(client: self.admin, eventLoopClients: [pinned])
        }

        func stop() {
            for client in self.clients { client.shutdown() }
            self.server.stop()
        }

        /// Hands `events` to the queue in one turn of the event loop, as the receive path does, and awaits each answer.
        func enqueueInOneTurn(_ events: [QueuedEvent]) async throws -> [Result<EnqueueResult, any Error>] {
            let queue = self.queue
            let futures = try await self.eventLoop.submit { events.map { queue.enqueue($0, ttlSeconds: 60, on: self.eventLoop) } }.get()
            var results: [Result<EnqueueResult, any Error>] = []
            for future in futures {
                do {
                    results.append(.success(try await future.get()))
                } catch {
                    results.append(.failure(error))
                }
            }
            return results
        }

        /// A new platform whose stream holds one entry, `warm-up`, with the script loaded and the counts reset: every
        /// call from here on is one `EVALSHA`.
        func warmedUpPlatform() async throws -> String {
            let platform = Fixtures.uniqueID("p")
            try await self.queue.prepare(platforms: [platform])
            _ = try await self.queue.enqueue(EnqueueBatcherTests.event("warm-up", platform: platform), ttlSeconds: 60)
            _ = try await self.admin.send(["CONFIG", "RESETSTAT"])
            return platform
        }

        /// `EVALSHA` calls since the last `CONFIG RESETSTAT`.
        func scriptCalls() async throws -> Int {
            let info = try await self.admin.send(["INFO", "commandstats"]).string ?? ""
            guard let line = info.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_evalsha:") }),
                let calls = line.split(separator: ",").first?.split(separator: "=").last
            else { return 0 }
            return Int(calls) ?? -1
        }

        func streamEventIDs(_ platform: String) async throws -> [String] {
            let reply = try await self.admin.send(["XRANGE", .string(QueueKeys(platform: platform).incoming), "-", "+"])
            return try #require(reply.array).map { entry in
                let fields = entry.array?[1].array ?? []
                return fields.count > 1 ? fields[1].string ?? "" : ""
            }
        }
    }

    static func event(_ id: String, platform: String) -> QueuedEvent {
        QueuedEvent(
            eventID: id, platform: platform, eventType: .contentAdded, sourceEventType: "content_added",
            receivedAtMilliseconds: 1_764_979_200_000, envelope: ByteBuffer(string: #"{"id":"\#(id)"}"#))
    }

    @Test func oneTurnSharesOneCallPerPlatformAndEachDeliveryGetsItsOwnAnswer() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let (a, b) = (Fixtures.uniqueID("a"), Fixtures.uniqueID("b"))
        try await setup.queue.prepare(platforms: [a, b])
        // Known before the turn (and the script now loaded, so every call below is one EVALSHA).
        guard case .accepted(let firstID) = try await setup.queue.enqueue(Self.event("e0", platform: a), ttlSeconds: 60) else {
            Issue.record("e0 was not accepted")
            return
        }
        _ = try await setup.admin.send(["CONFIG", "RESETSTAT"])

        let results = try await setup.enqueueInOneTurn([
            Self.event("e1", platform: a), Self.event("e0", platform: a), Self.event("e2", platform: a),
            Self.event("e1", platform: a), Self.event("e3", platform: b), Self.event("e4", platform: a),
        ]).map { try $0.get() }

        #expect(try await setup.scriptCalls() == 2)
        guard case .accepted(let e1ID) = results[0] else {
            Issue.record("e1 was not accepted: \(results[0])")
            return
        }
        #expect(results[1] == .duplicate(streamID: firstID))
        #expect(results[3] == .duplicate(streamID: e1ID), "a batch mate repeating an event is a duplicate of its first copy")
        for i in [2, 4, 5] {
            guard case .accepted = results[i] else {
                Issue.record("delivery \(i) was not accepted: \(results[i])")
                continue
            }
        }
        // Arrival order in each stream, each dedup key holding its entry's id with the TTL.
        #expect(try await setup.streamEventIDs(a) == ["e0", "e1", "e2", "e4"])
        #expect(try await setup.streamEventIDs(b) == ["e3"])
        #expect(try await setup.admin.send(["GET", .string(QueueKeys(platform: a).dedup(eventID: "e1"))]).string == e1ID)
        #expect((1...60).contains(try await setup.admin.ttl(QueueKeys(platform: b).dedup(eventID: "e3"))))
    }

    @Test func aTurnLargerThanOneCallIsSplitInOrder() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let platform = try await setup.warmedUpPlatform()
        let ids = (0..<(2 * EnqueueBatcher.maxBatch + 10)).map { "e\($0)" }

        let results = try await setup.enqueueInOneTurn(ids.map { Self.event($0, platform: platform) }).map { try $0.get() }

        #expect(try await setup.scriptCalls() == 3)
        #expect(results.allSatisfy { if case .accepted = $0 { true } else { false } })
        #expect(try await setup.streamEventIDs(platform) == ["warm-up"] + ids)
    }

    @Test func aCallFromAnotherThreadIsMovedToTheEventLoop() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let platform = Fixtures.uniqueID("p")
        try await setup.queue.prepare(platforms: [platform])
        // From the test's task, not the event loop: concurrent calls, each answered.
        let results = try await withThrowingTaskGroup(of: EnqueueResult.self) { group in
            for i in 0..<20 {
                group.addTask {
                    try await setup.queue.enqueue(Self.event("e\(i % 10)", platform: platform), ttlSeconds: 60, on: setup.eventLoop).get()
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { if case .accepted = $0 { true } else { false } }.count == 10)
        #expect(results.filter { if case .duplicate = $0 { true } else { false } }.count == 10)
        #expect(try await setup.admin.xlen(QueueKeys(platform: platform).incoming) == 10)
    }

    @Test func largeBodiesAreSplitByBytes() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let platform = try await setup.warmedUpPlatform()
        func event(_ id: String, bytes: Int) -> QueuedEvent {
            var event = Self.event(id, platform: platform)
            event.envelope = ByteBuffer(repeating: UInt8(ascii: "x"), count: bytes)
            return event
        }
        // 400 KB each: two fit under the 1 MiB a call carries; the 1.5 MB one goes alone.
        let events = (0..<5).map { event("e\($0)", bytes: 400_000) } + [event("big", bytes: 1_500_000)]

        let results = try await setup.enqueueInOneTurn(events).map { try $0.get() }

        #expect(results.allSatisfy { if case .accepted = $0 { true } else { false } })
        #expect(try await setup.scriptCalls() == 4)
        #expect(try await setup.streamEventIDs(platform) == ["warm-up", "e0", "e1", "e2", "e3", "e4", "big"])
    }

    @Test func aFailedCallFailsEachDeliveryAndRemembersNone() async throws {
        let setup = try await Setup()
        defer { setup.stop() }
        let platform = Fixtures.uniqueID("p")
        // The platform's stream key holds a string: the script's XADD fails.
        _ = try await setup.admin.send(["SET", .string(QueueKeys(platform: platform).incoming), "not a stream"])

        let results = try await setup.enqueueInOneTurn([Self.event("e1", platform: platform), Self.event("e2", platform: platform)])

        for result in results {
            #expect(throws: QueueError.self) { try result.get() }
        }
        // Neither is remembered as a duplicate: their retries will be enqueued.
        for id in ["e1", "e2"] {
            #expect(try await setup.admin.send(["EXISTS", .string(QueueKeys(platform: platform).dedup(eventID: id))]) == .integer(0))
        }

        // Redis gone: every delivery of the turn is answered with the failure, none is left waiting.
        setup.server.stop()
        let down = try await setup.enqueueInOneTurn([Self.event("e3", platform: platform), Self.event("e4", platform: platform)])
        #expect(down.count == 2)
        for result in down {
            #expect(throws: QueueError.self) { try result.get() }
        }
    }
}
