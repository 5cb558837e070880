import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HookbayRedis
import HookbayJSON
import Testing

@testable import Hookbay

/// Two `hookbay serve` and two `hookbay worker` processes on one Redis and one database: every accepted event is
/// applied exactly once.
@Suite(.enabled(if: TestRedis.canSpawn, "needs redis-server installed"))
struct ScaleOutTests {
    static func spawn(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = CheckCommandTests.executable
        process.arguments = arguments + ["--log-level", "error"]
        process.environment = Fixtures.environment.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func twoGatewaysTwoWorkersApplyEachEventOnce() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        defer { server.stop() }
        let platform = Fixtures.uniqueID()
        let dir = try Fixtures.configDirectory(["p.yaml": Fixtures.platformYAML(id: platform, extra: "adapter: netflix\nrate_limit: { per_minute: 600000 }")])
        let database = dir + "/content.sqlite"
        let ports = [Int.random(in: 20000...40000), Int.random(in: 40001...60000)]
        var processes: [Process] = []
        defer { for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }
        for (i, port) in ports.enumerated() {
            processes.append(try Self.spawn(["serve", "--host", "127.0.0.1", "--port", String(port), "--config-dir", dir,
                                             "--redis-url", server.url, "--database", database, "--no-workers"]))
            processes.append(try Self.spawn(["worker", "--config-dir", dir, "--redis-url", server.url, "--database", database,
                                             "--consumer-name", "scale-\(i)", "--workers", "2"]))
        }

        let events = 300
        var accepted = Set<String>()
        for i in 0..<events {
            let body = Fixtures.envelope(platform: platform, contentID: "c\(i)")
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(ports[i % 2])/api/v1/webhooks/\(platform)")!)
            request.httpMethod = "POST"
            request.httpBody = Data(body.utf8)
            request.setValue(Fixtures.signature(body), forHTTPHeaderField: "X-Webhook-Signature")
            var answer: (Int, String)?
            for _ in 0..<100 where answer?.0 != 202 {
                answer = await withCheckedContinuation { continuation in
                    URLSession.shared.dataTask(with: request) { data, response, _ in
                        continuation.resume(returning: ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data ?? Data(), as: UTF8.self)))
                    }.resume()
                }
                if answer?.0 != 202 { try await Task.sleep(for: .milliseconds(50)) }  // servers still starting
            }
            #expect(answer?.0 == 202)
            if let text = answer?.1, let id = try? JSONParser.parse(Array(text.utf8))["event_id"]?.stringValue { accepted.insert(id) }
        }
        #expect(accepted.count == events)

        let store = try ContentStore(path: database)
        let redis = RedisClient(configuration: .init(port: server.port), logger: Fixtures.logger)
        defer { redis.shutdown() }
        #expect(try await eventually(within: .seconds(60)) { try await store.appliedEventCount(platform: platform) == events })
        for id in accepted { #expect(try await store.wasApplied(platform: platform, eventID: id)) }
        #expect(try await redis.getInt(QueueKeys(platform: platform).processedCounter) == events)
        #expect(try await redis.xlen(QueueKeys(platform: platform).incoming) == 0)
    }
}
