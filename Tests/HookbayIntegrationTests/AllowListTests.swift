import HTTPTypes
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// `allow_ips` through the real server, on both delivery paths, with and without a trusted proxy.
@Suite struct AllowListTests {
    static func app(trustedProxies: [IPNetwork] = []) throws -> some ApplicationProtocol {
        let dir = try Fixtures.configDirectory([
            "local.yaml": Fixtures.platformYAML(id: "local", extra: "allow_ips: [127.0.0.0/8, \"::1\"]"),
            "remote.yaml": Fixtures.platformYAML(id: "remote", extra: "allow_ips: 198.51.100.0/24"),
            "open.yaml": Fixtures.platformYAML(id: "open"),
        ])
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: nil)
        configuration.trustedProxies = trustedProxies
        return try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger).application
    }

    /// A signed delivery to `platform`, plain (the event loop) and chunked (the router), with extra header lines.
    static func requests(_ platform: String, id: String, extra: String = "") -> [String] {
        let body = Fixtures.envelope(platform: platform, contentID: id)
        let chunkedBody = Fixtures.envelope(platform: platform, contentID: id + "-chunked")
        return [
            "POST /api/v1/webhooks/\(platform) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n"
                + "X-Webhook-Signature: \(Fixtures.signature(body))\r\n\(extra)\r\n\(body)",
            "POST /api/v1/webhooks/\(platform) HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                + "X-Webhook-Signature: \(Fixtures.signature(chunkedBody))\r\n\(extra)\r\n"
                + "\(String(chunkedBody.utf8.count, radix: 16))\r\n\(chunkedBody)\r\n0\r\n\r\n",
        ]
    }

    @Test func onlyListedClientsDeliverOnBothPaths() async throws {
        try await Self.app().test(.live) { client in
            let port = try #require(client.port)
            let requests =
                Self.requests("local", id: "a") + Self.requests("remote", id: "b") + Self.requests("open", id: "c")
                // Without a trusted proxy, a client's own X-Forwarded-For changes nothing.
                + Self.requests("remote", id: "d", extra: "X-Forwarded-For: 198.51.100.7\r\n")
            let answers = try await RawHTTP.exchange(port: port, requests.joined(), expecting: requests.count)
            #expect(answers.map(\.status) == [202, 202, 403, 403, 202, 202, 403, 403])
            #expect(answers[2].body.contains("ip_not_allowed") && answers[2].body.contains("127.0.0.1"))
        }
    }

    @Test func behindATrustedProxyTheForwardedClientIsChecked() async throws {
        try await Self.app(trustedProxies: [IPNetwork("127.0.0.0/8")!]).test(.live) { client in
            let port = try #require(client.port)
            let requests =
                Self.requests("remote", id: "e", extra: "X-Forwarded-For: 198.51.100.7\r\n")
                // The client wrote its own entry on the left; the proxy appended the real one.
                + Self.requests("remote", id: "f", extra: "X-Forwarded-For: 198.51.100.7, 203.0.113.5\r\n")
                + Self.requests("local", id: "g", extra: "X-Forwarded-For: 203.0.113.5\r\n")
                + Self.requests("remote", id: "h", extra: "X-Forwarded-For: garbage\r\n")
            let answers = try await RawHTTP.exchange(port: port, requests.joined(), expecting: requests.count)
            #expect(answers.map(\.status) == [202, 202, 403, 403, 403, 403, 403, 403])
            #expect(answers[2].body.contains("203.0.113.5"))
            #expect(answers[6].body.contains("an unknown address"))
        }
    }

    @Test func filesSayWhatIsWrong() {
        let loader = PlatformFileParser(environment: Fixtures.environment)
        for (extra, message) in [
            ("allow_ips: [example.com]", "not a CIDR range"), ("allow_ips: 10.0.0.0/33", "not a CIDR range"), ("allow_ips: []", "at least one"),
        ] {
            #expect {
                try loader.parse(yaml: Fixtures.platformYAML(id: "a", extra: extra), file: "a.yaml")
            } throws: { error in
                (error as? PlatformFileError)?.problems.contains { $0.key == "allow_ips" && $0.message.contains(message) } == true
            }
        }
    }
}
