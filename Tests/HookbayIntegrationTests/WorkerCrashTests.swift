import Foundation
import HookbayRedis
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Hookbay

/// Real `hookbay worker` processes and a real Redis: crashes and restarts lose nothing.
@Suite(.enabled(if: TestRedis.canSpawn, "needs redis-server installed"))
struct WorkerCrashTests {
    /// Starts `hookbay worker` as a child process.
    static func startWorker(
        configDir: String, redisURL: String, database: String, consumer: String,
        environment: [String: String] = [:]
    ) throws -> ChildProcess {
        try HookbayProcess.spawn(
            [
                "worker", "--config-dir", configDir, "--redis-url", redisURL, "--database", database,
                "--consumer-name", consumer, "--workers", "1", "--claim-idle", "1", "--log-level", "error",
            ],
            environment: environment)
    }

    @Test func killedWorkerEntriesAreClaimedAndApplied() async throws {
        let server = try await RedisServerProcess.started()
        defer { server.stop() }
        let redis = RedisClient(configuration: .init(port: server.port), logger: Fixtures.logger)
        defer { redis.shutdown() }

        let plugin = try await TestPlugins.build(variant: nil)
        let platform = Fixtures.uniqueID()
        let dir = try Fixtures.configDirectory(["p.yaml": Fixtures.platformYAML(id: platform, extra: "adapter: test-plugin\nplugin_path: \(plugin)")])
        let database = try Fixtures.configDirectory([:]) + "/content.sqlite"
        let keys = QueueKeys(platform: platform)

        // The victim reads the entry, then hangs inside the plugin's process() until it is killed.
        let victim = try Self.startWorker(
            configDir: dir, redisURL: server.url, database: database, consumer: "victim",
            environment: ["HOOKBAY_TEST_PROCESS_SLEEP": "60"])
        defer { if victim.isRunning { kill(victim.processIdentifier, SIGKILL) } }

        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: server.url, workers: 0)
        configuration.database = .sqlite(path: database)
        let (app, gateway) = try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
        try await app.test(.live) { client in
            let body = Fixtures.envelope(platform: platform, contentID: "survivor")
            let response = try await ReceiveClient.post(client, platform: platform, body: body)
            #expect(response.status == .accepted)
            let eventID = try #require(try ReceiveClient.json(response)["event_id"]?.stringValue)

            // Read by the victim: pending under its consumer name, not acknowledged.
            #expect(
                try await eventually {
                    let pending = try await redis.send(["XPENDING", .string(keys.incoming), .string(QueueKeys.consumerGroup)])
                    return pending.array?.first?.int == 1
                })
            kill(victim.processIdentifier, SIGKILL)
            victim.waitUntilExit()
            #expect(try await gateway.store.wasApplied(platform: platform, eventID: eventID) == false)

            // A second worker process takes it over once it has been idle for --claim-idle, and applies it once.
            let rescuer = try Self.startWorker(configDir: dir, redisURL: server.url, database: database, consumer: "rescuer")
            defer {
                kill(rescuer.processIdentifier, SIGKILL)
                rescuer.waitUntilExit()
            }
            #expect(try await eventually { try await gateway.store.wasApplied(platform: platform, eventID: eventID) })
            #expect(
                try await eventually {
                    try await gateway.queue.stats(platform: platform) == PlatformQueueStats(pending: 0, processing: 0, deadLetter: 0, processed: 1)
                })
            #expect(try await redis.xlen(keys.incoming) == 0)
            #expect(try await gateway.store.appliedEventCount(platform: platform) == 1)
        }
    }

    @Test func workersReconnectAfterRedisRestarts() async throws {
        let server = try await RedisServerProcess.started()
        defer { server.stop() }
        let (app, gateway, platform) = try ReceiveClient.processingApp(extra: "", redisURL: server.url, workers: 1)
        try await app.test(.live) { client in
            #expect(
                try await ReceiveClient.post(client, platform: platform, body: Fixtures.envelope(platform: platform, contentID: "before")).status
                    == .accepted)
            #expect(try await eventually { try await gateway.store.content(platform: platform, contentID: "before") != nil })

            server.stop()
            try await Task.sleep(for: .milliseconds(300))
            try await server.start()

            let body = Fixtures.envelope(platform: platform, contentID: "after")
            #expect(
                try await eventually {
                    try await ReceiveClient.post(client, platform: platform, body: body).status == .accepted
                })
            #expect(try await eventually { try await gateway.store.content(platform: platform, contentID: "after") != nil })
        }
    }

    /// A poison event (its adapter aborts the process) is processed alone after the first crash, is dead-lettered once
    /// it has been interrupted `retry.max_deliveries` times, and takes none of its batch mates with it: a supervising
    /// loop restarts the worker, and the crashes stop.
    @Test func poisonEventEndsInTheDeadLetterQueueAfterBoundedCrashes() async throws {
        let server = try await RedisServerProcess.started()
        defer { server.stop() }
        let plugin = try await TestPlugins.build(variant: nil)
        let platform = Fixtures.uniqueID()
        let dir = try Fixtures.configDirectory([
            "p.yaml": Fixtures.platformYAML(
                id: platform, extra: "adapter: test-plugin\nplugin_path: \(plugin)\nretry: { max_deliveries: 3 }")
        ])
        let database = try Fixtures.configDirectory([:]) + "/content.sqlite"

        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: server.url, workers: 0)
        configuration.database = .sqlite(path: database)
        let (app, gateway) = try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
        try await app.test(.live) { client in
            var innocent: [String] = []
            for i in 0..<20 {
                let contentID = i == 7 ? "poison-pill" : "innocent-\(i)"
                let response = try await ReceiveClient.post(
                    client, platform: platform, body: Fixtures.envelope(platform: platform, contentID: contentID))
                #expect(response.status == .accepted)
                if i != 7 { innocent.append(contentID) }
            }
            // The supervising loop: a worker that dies is started again, up to a bound.
            var crashes = 0
            for _ in 0..<12 {
                let worker = try Self.startWorker(
                    configDir: dir, redisURL: server.url, database: database, consumer: "w",
                    environment: ["HOOKBAY_TEST_CRASH_ON": "poison-pill"])
                let settled = try await eventually(within: .seconds(20)) {
                    if !worker.isRunning { return true }
                    let stats = try await gateway.queue.stats(platform: platform)
                    return stats.pending == 0 && stats.processing == 0
                }
                #expect(settled)
                if worker.isRunning {
                    kill(worker.processIdentifier, SIGKILL)
                    worker.waitUntilExit()
                    break
                }
                worker.waitUntilExit()
                #expect(worker.terminationReason == .uncaughtSignal)
                crashes += 1
            }
            // One crash in the first batch, then one per delivery of the poison alone, up to max_deliveries.
            #expect(crashes == 4)
            for contentID in innocent {
                #expect(try await gateway.store.content(platform: platform, contentID: contentID) != nil, "\(contentID) was not applied")
            }
            #expect(try await gateway.store.content(platform: platform, contentID: "poison-pill") == nil)
            let dead = try await gateway.queue.deadLetters(platform: platform, after: nil, count: 10)
            #expect(dead.count == 1)
            #expect(dead.first?.string("error")?.contains("interrupted 4 times") == true)
            #expect(try await gateway.queue.stats(platform: platform) == PlatformQueueStats(pending: 0, processing: 0, deadLetter: 1, processed: 19))
        }
    }
}
