import Foundation
import HTTPTypes
import HookbayJSON
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// Hot reload against a live server: the ways files really change.
@Suite struct ReloadTests {
    static let token = "reload-admin-token"

    static func app(files: [String: String]) throws -> (some ApplicationProtocol, Gateway, String) {
        let dir = try Fixtures.configDirectory(files)
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: nil)
        configuration.adminToken = token
        let (app, gateway) = try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
        return (app, gateway, dir)
    }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    static func status(_ client: some TestClientProtocol, _ platform: String, contentID: String = UUID().uuidString) async throws
        -> HTTPResponse.Status
    {
        try await ReceiveClient.post(client, platform: platform, body: Fixtures.envelope(platform: platform, contentID: contentID)).status
    }

    @Test func addEditRemoveWithoutRestart() async throws {
        let (app, gateway, dir) = try Self.app(files: ["a.yaml": Fixtures.platformYAML(id: "alpha")])
        try await app.test(.live) { client in
            #expect(try await Self.status(client, "beta") == .notFound)
            try Self.write(Fixtures.platformYAML(id: "beta"), to: dir + "/b.yaml")
            #expect(try await eventually(within: .seconds(2)) { try await Self.status(client, "beta") == .accepted })

            try Self.write(Fixtures.platformYAML(id: "beta", extra: "enabled: false"), to: dir + "/b.yaml")
            #expect(try await eventually(within: .seconds(2)) { try await Self.status(client, "beta") == .serviceUnavailable })

            try FileManager.default.removeItem(atPath: dir + "/b.yaml")
            #expect(try await eventually(within: .seconds(2)) { try await Self.status(client, "beta") == .notFound })
            // Its queued events are still processed with its adapter.
            #expect(gateway.platforms.processingPlatform("beta") != nil)
            #expect(gateway.platforms.processingIDs.contains("beta"))
            #expect(try await Self.status(client, "alpha") == .accepted)
        }
    }

    @Test func editorRenameSaveAndSymlinkSwap() async throws {
        let dir = try Fixtures.configDirectory([:])
        // A Kubernetes ConfigMap: p.yaml -> ..data/p.yaml, ..data -> ..2026_01 (swapped atomically by rename).
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/..v1", withIntermediateDirectories: true)
        try Self.write(Fixtures.platformYAML(id: "cm"), to: dir + "/..v1/p.yaml")
        try fm.createSymbolicLink(atPath: dir + "/..data", withDestinationPath: "..v1")
        try fm.createSymbolicLink(atPath: dir + "/p.yaml", withDestinationPath: "..data/p.yaml")
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: nil)
        configuration.adminToken = Self.token
        let (app, _) = try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
        try await app.test(.live) { client in
            #expect(try await Self.status(client, "cm") == .accepted)
            try fm.createDirectory(atPath: dir + "/..v2", withIntermediateDirectories: true)
            try Self.write(Fixtures.platformYAML(id: "cm", extra: "enabled: false"), to: dir + "/..v2/p.yaml")
            try fm.createSymbolicLink(atPath: dir + "/..data_tmp", withDestinationPath: "..v2")
            #expect(rename(dir + "/..data_tmp", dir + "/..data") == 0)
            #expect(try await eventually(within: .seconds(2)) { try await Self.status(client, "cm") == .serviceUnavailable })

            // An editor's save: write a temporary file, rename it over the original.
            try Self.write(Fixtures.platformYAML(id: "ed"), to: dir + "/.ed.yaml.swp")
            #expect(rename(dir + "/.ed.yaml.swp", dir + "/ed.yaml") == 0)
            #expect(try await eventually(within: .seconds(2)) { try await Self.status(client, "ed") == .accepted })
        }
    }

    @Test func brokenFileKeepsThePreviousVersionAndSaysWhy() async throws {
        let (app, _, dir) = try Self.app(files: ["a.yaml": Fixtures.platformYAML(id: "alpha", extra: "rate_limit: { per_minute: 1000 }")])
        try await app.test(.live) { client in
            // Half-written: the file is cut mid-way.
            try Self.write("platform: alpha\nsecret_env: \(Fixtures.secretEnv)\nrate_limit: { per_minute: ", to: dir + "/a.yaml")
            let auth: HTTPFields = [.authorization: "Bearer \(Self.token)"]
            #expect(
                try await eventually(within: .seconds(2)) {
                    let listed = try ReceiveClient.json(try await client.execute(uri: "/api/v1/admin/platforms", method: .get, headers: auth))
                    return listed["platforms"].flatMap { platforms -> Bool? in
                        guard case .array(let items) = platforms, let alpha = items.first else { return nil }
                        return alpha["last_error"]?.stringValue?.contains("previous version keeps serving") == true
                    } ?? false
                })
            #expect(try await Self.status(client, "alpha") == .accepted)
            let listed = try ReceiveClient.json(try await client.execute(uri: "/api/v1/admin/platforms", method: .get, headers: auth))
            guard case .array(let items)? = listed["platforms"], let alpha = items.first else {
                Issue.record("\(listed)")
                return
            }
            #expect(alpha["rate_limit"]?["per_minute"] == .number("1000"))
            #expect(alpha["source_file"] == .string("a.yaml"))
            #expect(alpha["secrets"] == .array([.string("env:\(Fixtures.secretEnv)")]))
            #expect(!"\(listed)".contains(Fixtures.secret))

            // Fixed: the new version serves.
            try Self.write(Fixtures.platformYAML(id: "alpha", extra: "enabled: false"), to: dir + "/a.yaml")
            #expect(try await eventually(within: .seconds(2)) { try await Self.status(client, "alpha") == .serviceUnavailable })
        }
    }

    @Test func rateLimitBucketsSurviveUnrelatedReloads() async throws {
        let (app, _, dir) = try Self.app(files: ["a.yaml": Fixtures.platformYAML(id: "alpha", extra: "rate_limit: { per_minute: 1, burst: 1 }")])
        try await app.test(.live) { client in
            #expect(try await Self.status(client, "alpha") == .accepted)
            #expect(try await Self.status(client, "alpha") == .tooManyRequests)
            try Self.write(Fixtures.platformYAML(id: "beta"), to: dir + "/b.yaml")
            #expect(try await eventually(within: .seconds(2)) { try await Self.status(client, "beta") == .accepted })
            #expect(try await Self.status(client, "alpha") == .tooManyRequests)
            // A changed limit starts a fresh bucket.
            try Self.write(Fixtures.platformYAML(id: "alpha", extra: "rate_limit: { per_minute: 5, burst: 5 }"), to: dir + "/a.yaml")
            #expect(try await eventually(within: .seconds(2)) { try await Self.status(client, "alpha") == .accepted })
        }
    }

    @Test func reloadEndpoint() async throws {
        let (app, _, dir) = try Self.app(files: ["a.yaml": Fixtures.platformYAML(id: "alpha")])
        try await app.test(.router) { client in
            try Self.write(Fixtures.platformYAML(id: "gamma"), to: dir + "/g.yaml")
            try Self.write("platform: broken\n", to: dir + "/x.yaml")
            #expect(try await client.execute(uri: "/api/v1/admin/reload", method: .post).status == .unauthorized)
            let response = try await client.execute(uri: "/api/v1/admin/reload", method: .post, headers: [.authorization: "Bearer \(Self.token)"])
            #expect(response.status == .ok)
            let report = try ReceiveClient.json(response)
            #expect(report["platforms"] == .array([.string("alpha"), .string("gamma")]))
            guard case .array(let problems)? = report["problems"] else {
                Issue.record("\(report)")
                return
            }
            #expect(problems.contains { $0["file"] == .string("x.yaml") && $0["key"] == .string("secret_env") })
            #expect(try await Self.status(client, "gamma") == .accepted)
        }
    }
}

/// `SIGHUP` to a real `hookbay serve` process, with polling off.
@Suite struct SighupTests {
    @Test func sighupReloads() async throws {
        let dir = try Fixtures.configDirectory(["a.yaml": Fixtures.platformYAML(id: "alpha")])
        let port = Fixtures.freePort()
        let database = try Fixtures.configDirectory([:]) + "/c.sqlite"
        let process = try HookbayProcess.spawn([
            "serve", "--host", "127.0.0.1", "--port", String(port), "--config-dir", dir,
            "--database", database, "--reload-interval", "0", "--no-workers", "--log-level", "error",
        ])
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func status(_ platform: String) async -> Int? {
            await HookbayProcess.postSigned(port: port, platform: platform)?.status
        }
        #expect(try await eventually { await status("alpha") == 202 })
        try Fixtures.platformYAML(id: "beta").write(toFile: dir + "/b.yaml", atomically: true, encoding: .utf8)
        // Polling is off: nothing changes until SIGHUP.
        try await Task.sleep(for: .milliseconds(1500))
        #expect(await status("beta") == 404)
        kill(process.processIdentifier, SIGHUP)
        #expect(try await eventually(within: .seconds(5)) { await status("beta") == 202 })
        #expect(process.isRunning)
    }
}
