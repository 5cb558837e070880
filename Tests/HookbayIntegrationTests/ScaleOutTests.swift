import Foundation
import HookbayJSON
import HookbayRedis
import HookbayTestSupport
import Testing

@testable import Hookbay

/// Two `hookbay serve` and two `hookbay worker` processes on one Redis and one database: every accepted event is
/// applied exactly once.
@Suite(.enabled(if: TestRedis.canSpawn, "needs redis-server installed"))
struct ScaleOutTests {
    @Test func twoGatewaysTwoWorkersApplyEachEventOnce() async throws {
        let server = try await RedisServerProcess.started()
        defer { server.stop() }
        let platform = Fixtures.uniqueID()
        let dir = try Fixtures.configDirectory([
            "p.yaml": Fixtures.platformYAML(id: platform, extra: "adapter: netflix\nrate_limit: { per_minute: 600000 }")
        ])
        let database = dir + "/content.sqlite"
        let first = Fixtures.freePort()
        var second = Fixtures.freePort()
        while second == first { second = Fixtures.freePort() }
        let ports = [first, second]
        var processes: [ChildProcess] = []
        defer {
            for p in processes where p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
            }
        }
        var gateways: [(process: ChildProcess, log: String)] = []
        for (i, port) in ports.enumerated() {
            // Each gateway's stderr kept, to say why one never answered.
            let log = dir + "/serve-\(i).log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let gateway = try HookbayProcess.spawn(
                [
                    "serve", "--host", "127.0.0.1", "--port", String(port), "--config-dir", dir,
                    "--redis-url", server.url, "--database", database, "--no-workers", "--log-level", "warning",
                ],
                stderr: FileHandle(forWritingAtPath: log))
            processes.append(gateway)
            gateways.append((gateway, log))
            processes.append(
                try HookbayProcess.spawn([
                    "worker", "--config-dir", dir, "--redis-url", server.url, "--database", database,
                    "--consumer-name", "scale-\(i)", "--workers", "2", "--log-level", "error",
                ]))
        }

        for (port, gateway) in zip(ports, gateways) {
            let up = try await eventually(within: .seconds(30)) {
                await HookbayProcess.get(port: port, path: "/healthz") != nil || !gateway.process.isRunning
            }
            guard up, gateway.process.isRunning else {
                let log = (try? String(contentsOfFile: gateway.log, encoding: .utf8)) ?? ""
                Issue.record("the gateway on port \(port) never answered (running: \(gateway.process.isRunning)); its stderr:\n\(log)")
                return
            }
        }

        let events = 300
        var accepted = Set<String>()
        // Both gateways answered /healthz above: every delivery is answered 202 at the first try. A 5xx or 429 is a
        // failure, not something to retry until it goes away.
        var unexpected: [String] = []
        for i in 0..<events {
            let answer = await HookbayProcess.postSigned(port: ports[i % 2], platform: platform, contentID: "c\(i)")
            if answer?.status != 202 { unexpected.append("c\(i): \(answer.map { "\($0.status) \($0.body)" } ?? "no answer")") }
            if let text = answer?.1, let id = try? JSONParser.parse(Array(text.utf8))["event_id"]?.stringValue { accepted.insert(id) }
        }
        #expect(unexpected.count == 0, "\(unexpected.count) of \(events) deliveries not accepted, the first: \(unexpected.prefix(3))")
        #expect(accepted.count == events)

        let store = try SQLiteContentStore(path: database)
        let redis = RedisClient(configuration: .init(port: server.port), logger: Fixtures.logger)
        defer { redis.shutdown() }
        #expect(try await eventually(within: .seconds(60)) { try await store.appliedEventCount(platform: platform) == events })
        for id in accepted { #expect(try await store.wasApplied(platform: platform, eventID: id)) }
        #expect(try await redis.getInt(QueueKeys(platform: platform).processedCounter) == events)
        #expect(try await redis.xlen(QueueKeys(platform: platform).incoming) == 0)
    }
}
