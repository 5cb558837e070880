import Foundation
import HookbayTestSupport
import Testing

@testable import Hookbay

/// The PostgreSQL content store under a running gateway: a server restart is waited out (nothing dead-lettered,
/// nothing lost, nothing applied twice), and a server that refuses the process's credentials stops it with the
/// server's reason.
@Suite(.enabled(if: TestStores.backends.contains(.postgres)), .serialized) struct ContentDatabaseOutageTests {
    /// Short (2 s, under half of --claim-idle: the workers hold their entries) and long (5 s with --claim-idle 2 s:
    /// held entries are left for the idle claim, which hands them out one at a time).
    @Test(arguments: [(outage: 2, claimIdle: 60), (outage: 5, claimIdle: 2)])
    func workersWaitOutAPostgresRestart(_ times: (outage: Int, claimIdle: Int)) async throws {
        let server = try await PostgresServerProcess.started()
        defer { server.stopInBackground() }
        let platform = Fixtures.uniqueID()
        let dir = try Fixtures.configDirectory(["p.yaml": Fixtures.platformYAML(id: platform, extra: "adapter: netflix")])
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: nil, workers: 2, claimIdle: .seconds(times.claimIdle))
        configuration.database = .postgres(server.location)
        let (app, gateway) = try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
        try await app.test(.live) { client in
            func send(_ ids: Range<Int>) async throws {
                for i in ids {
                    let body = Fixtures.envelope(platform: platform, contentID: "c\(i)")
                    let response = try await ReceiveClient.post(client, platform: platform, body: body)
                    #expect(response.status == .accepted, "c\(i)")
                }
            }
            try await send(0..<10)
            // The workers migrate the new database first; until then the count cannot be read.
            #expect(try await eventually { (try? await gateway.store.appliedEventCount(platform: platform)) == 10 })

            // As a crash: sessions cut, no shutdown checkpoint. Deliveries are still accepted meanwhile.
            try await server.stop(mode: "immediate")
            try await send(10..<30)
            try await Task.sleep(for: .seconds(times.outage))
            let during = try await gateway.queue.stats(platform: platform)
            #expect(during.deadLetter == 0)
            #expect(during.processed == 10)

            try await server.start()
            #expect(try await eventually(within: .seconds(60)) { (try? await gateway.store.appliedEventCount(platform: platform)) == 30 })
            #expect(try await eventually { try await gateway.queue.stats(platform: platform).processed == 30 })
            let after = try await gateway.queue.stats(platform: platform)
            #expect(after.deadLetter == 0)
            #expect(after.pending == 0)
            let applications = try await gateway.store.applications(platform: platform)
            #expect(Set(applications.values) == [1])
            for i in 0..<30 {
                let row = try await gateway.store.content(platform: platform, contentID: "c\(i)")
                #expect(row != nil, "c\(i)")
            }
        }
    }

    @Test func aServerThatRefusesTheCredentialsStopsTheWorker() async throws {
        let server = try await PostgresServerProcess.started()
        defer { server.stopInBackground() }
        let dir = try Fixtures.configDirectory(["p.yaml": Fixtures.platformYAML(id: Fixtures.uniqueID(), extra: "adapter: netflix")])
        var location = server.location
        location.password = "not-the-password"
        let url = "postgres://\(location.username):\(location.password!)@127.0.0.1:\(location.port)/\(location.database)?sslmode=disable"
        let (status, output) = try await HookbayProcess.runToEnd(
            ["worker", "--config-dir", dir, "--redis-url", try TestRedis.url(), "--database", url, "--workers", "1"],
            environment: Fixtures.environment)
        #expect(status != 0)
        #expect(output.contains("password authentication failed"), "\(output)")
        #expect(output.contains("28P01"), "\(output)")
        #expect(!output.contains("not-the-password"), "the password was written out: \(output)")
    }
}
