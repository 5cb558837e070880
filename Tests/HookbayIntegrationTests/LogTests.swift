import Foundation
import HookbayJSON
import HookbayTestSupport
import Testing

/// A real `hookbay serve` with JSON logs at trace level: every line is JSON, requests carry their id, and no secret
/// or signature ever appears.
@Suite struct LogTests {
    static func send(_ port: Int, _ path: String, body: String, headers: [String: String]) async -> Int? {
        await HookbayProcess.post(port: port, path: path, body: body, headers: headers)?.status
    }

    @Test func jsonLinesWithoutSecrets() async throws {
        let dir = try Fixtures.configDirectory(["a.yaml": Fixtures.platformYAML(id: "alpha")])
        let logFile = dir + "/serve.log"
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let port = Fixtures.freePort()
        let adminToken = "log-test-admin-token-91"
        let registeredSecret = "registered-secret-for-log-test"
        let process = try HookbayProcess.spawn(
            [
                "serve", "--host", "127.0.0.1", "--port", String(port), "--config-dir", dir, "--database", dir + "/c.sqlite",
                "--log-format", "json", "--log-level", "trace",
            ],
            environment: ["HOOKBAY_ADMIN_TOKEN": adminToken], stderr: try FileHandle(forWritingTo: URL(fileURLWithPath: logFile)))

        let body = Fixtures.envelope(platform: "alpha")
        let signature = Fixtures.signature(body)
        #expect(
            try await eventually { await Self.send(port, "/api/v1/webhooks/alpha", body: body, headers: ["X-Webhook-Signature": signature]) == 202 })
        let forged = Fixtures.signature(body, secret: "attacker")
        #expect(await Self.send(port, "/api/v1/webhooks/alpha", body: body, headers: ["X-Webhook-Signature": forged]) == 401)
        let registration = #"{"platform":"beta","url":"https://b.example/hook","event_types":["content_added"],"secret":"\#(registeredSecret)"}"#
        #expect(await Self.send(port, "/api/v1/webhooks/register", body: registration, headers: ["Authorization": "Bearer \(adminToken)"]) == 201)
        #expect(
            await Self.send(port, "/api/v1/webhooks/register", body: registration, headers: ["Authorization": "Bearer wrong-\(adminToken)"]) == 401)
        try await Task.sleep(for: .milliseconds(500))
        kill(process.processIdentifier, SIGTERM)
        try await runBlocking { process.waitUntilExit() }

        let log = try String(contentsOfFile: logFile, encoding: .utf8)
        let lines = log.split(separator: "\n")
        #expect(lines.count > 5)
        for line in lines {
            let json = try? JSONParser.parse(Array(line.utf8))
            #expect(json?["level"] != nil, "not a JSON log line: \(line)")
        }
        #expect(lines.contains { $0.contains("\"hb.request.id\"") && $0.contains("\"platform\":\"alpha\"") })
        for secret in [Fixtures.secret, registeredSecret, adminToken, String(signature.dropFirst(7)), String(forged.dropFirst(7))] {
            #expect(!log.contains(secret), "a secret or signature reached the logs")
        }
    }
}
