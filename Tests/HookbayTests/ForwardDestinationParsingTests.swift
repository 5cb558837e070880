import Foundation
import HookbayTestSupport
import Testing

@testable import Hookbay

/// `destinations:` in a platform file: what is read, and each refusal naming its key and line.
@Suite struct ForwardDestinationParsingTests {
    static let indexerSecret = "whsec_" + Data("a key of 24 bytes or so!".utf8).base64EncodedString()
    let parser = PlatformFileParser(environment: Fixtures.environment.merging(["INDEXER_SECRET": Self.indexerSecret]) { $1 })

    func yaml(_ destinations: String) -> String {
        "platform: shop\nsecret_env: \(Fixtures.secretEnv)\ndestinations:\n" + destinations
    }

    func problems(_ destinations: String) -> [ConfigProblem] {
        do {
            _ = try self.parser.parse(yaml: self.yaml(destinations), file: "shop.yaml")
            return []
        } catch {
            return error.problems
        }
    }

    @Test func aFullDestinationAndTheDefaults() throws {
        let config = try self.parser.parse(
            yaml: self.yaml(
                """
                  - name: search-indexer
                    url: https://Indexer.example.com/hooks/content?v=2
                    events: [content_added, content_updated]
                    body: updates
                    signing: { scheme: standard-webhooks, secret_env: INDEXER_SECRET }
                    timeout_ms: 2500
                    retry: { max_attempts: 3, base_delay_ms: 200, max_delay_ms: 5000 }
                    max_in_flight: 4
                    max_backlog: 500
                    circuit_breaker: { failures: 3, cool_down_ms: 1500 }
                  - name: cache
                    url: http://10.1.2.3:8080
                """), file: "shop.yaml")
        #expect(config.destinations.count == 2)
        let indexer = config.destinations[0]
        #expect(indexer.name == "search-indexer")
        #expect(indexer.url == ForwardURL(scheme: .https, host: "indexer.example.com", port: 443, target: "/hooks/content?v=2"))
        #expect(indexer.events == [.contentAdded, .contentUpdated])
        #expect(indexer.subscribes(to: .contentAdded) && !indexer.subscribes(to: .contentRemoved))
        #expect(indexer.body == .updates)
        #expect(indexer.signing?.scheme == .standardWebhooks)
        #expect(indexer.signing?.secrets.map(\.source) == ["env:INDEXER_SECRET"])
        #expect(indexer.timeoutMilliseconds == 2500)
        #expect(indexer.retry.maxAttempts == 3 && indexer.retry.baseDelayMilliseconds == 200 && indexer.retry.maxDelayMilliseconds == 5000)
        #expect(indexer.maxInFlight == 4 && indexer.maxBacklog == 500)
        #expect(indexer.circuitFailures == 3 && indexer.circuitCoolDownMilliseconds == 1500)
        let cache = config.destinations[1]
        #expect(cache.url.description == "http://10.1.2.3:8080/")
        #expect(cache.events == nil && cache.subscribes(to: .contentRemoved))
        #expect(cache.body == .envelope && cache.signing == nil)
        #expect(cache.timeoutMilliseconds == 10_000 && cache.maxInFlight == 16 && cache.retry.maxAttempts == 8)
        #expect(cache.maxBacklog == 100_000 && cache.circuitFailures == 5 && cache.circuitCoolDownMilliseconds == 30_000)
    }

    @Test(arguments: [
        ("  - { name: a, url: 'https://user:pw@example.com/' }", "destinations[0].url", "credentials"),
        ("  - { name: a, url: 'ftp://example.com/' }", "destinations[0].url", "http:// or https://"),
        ("  - { name: a, url: 'https://example.com:0/' }", "destinations[0].url", "bad port"),
        ("  - { name: a, url: 'https://example.com:65536/' }", "destinations[0].url", "bad port"),
        ("  - { name: a, url: 'https://example.com/#top' }", "destinations[0].url", "fragment"),
        ("  - { name: a, url: 'https://exa mple.com/' }", "destinations[0].url", "host"),
        ("  - { name: a, url: 'https://[::1/' }", "destinations[0].url", "IPv6"),
        ("  - { name: a, url: 'https:///path' }", "destinations[0].url", "host"),
        ("  - { name: A!, url: 'https://example.com/' }", "destinations[0].name", "not a valid name"),
        ("  - { url: 'https://example.com/' }", "destinations[0].name", "is required"),
        ("  - { name: a }", "destinations[0].url", "is required"),
        ("  - { name: a, url: 'https://example.com/', colour: red }", "destinations[0].colour", "unknown key"),
        ("  - { name: a, url: 'https://example.com/', events: [content_deleted] }", "destinations[0].events", "not one of"),
        ("  - { name: a, url: 'https://example.com/', events: [] }", "destinations[0].events", "at least one"),
        ("  - { name: a, url: 'https://example.com/', body: xml }", "destinations[0].body", "envelope, raw or updates"),
        ("  - { name: a, url: 'https://example.com/', signing: { secret_env: UNSET_VARIABLE_X } }", "destinations[0].signing.secret_env", "not set"),
        (
            "  - { name: a, url: 'https://example.com/', signing: { scheme: standard-webhooks } }", "destinations[0].signing",
            "secret_env or secret_file"
        ),
        (
            "  - { name: a, url: 'https://example.com/', signing: { scheme: stripe, secret_env: INDEXER_SECRET } }", "destinations[0].signing.scheme",
            "standard-webhooks"
        ),
        ("  - { name: a, url: 'https://example.com/', signing: { secret_env: \(Fixtures.secretEnv) } }", "destinations[0].signing", "whsec_"),
        ("  - { name: a, url: 'https://example.com/', timeout_ms: 0 }", "destinations[0].timeout_ms", "between"),
        ("  - { name: a, url: 'https://example.com/', max_in_flight: 100000 }", "destinations[0].max_in_flight", "between"),
        ("  - { name: a, url: 'https://example.com/', max_backlog: 0 }", "destinations[0].max_backlog", "between"),
        ("  - { name: a, url: 'https://example.com/', circuit_breaker: { failures: 0 } }", "destinations[0].circuit_breaker.failures", "between"),
        (
            "  - { name: a, url: 'https://example.com/', circuit_breaker: { cool_down_ms: 3600001 } }",
            "destinations[0].circuit_breaker.cool_down_ms", "between"
        ),
        ("  - { name: a, url: 'https://example.com/', circuit_breaker: { probes: 2 } }", "destinations[0].circuit_breaker.probes", "unknown"),
        (
            "  - { name: a, url: 'https://example.com/', retry: { base_delay_ms: 500, max_delay_ms: 10 } }", "destinations[0].retry.max_delay_ms",
            "smaller"
        ),
        ("  - { name: a, url: 'https://example.com/' }\n  - { name: a, url: 'https://example.org/' }", "destinations[1].name", "another destination"),
        ("  - just-a-string", "destinations[0]", "mapping"),
    ])
    func refusals(destinations: String, key: String, message: String) {
        let found = self.problems(destinations)
        #expect(
            found.contains { $0.key == key && $0.message.contains(message) && $0.line != nil },
            "wanted \(key): ...\(message)..., got \(found.map { "\($0.key ?? "-"): \($0.message)" })")
    }

    @Test func hostileSizesAreRefusedNotTrapped() {
        let many = (0...PlatformFileParser.maxDestinations).map { "  - { name: d\($0), url: 'https://example.com/' }" }.joined(separator: "\n")
        #expect(self.problems(many).contains { $0.key == "destinations" && $0.message.contains("at most") })
        let long = "  - { name: a, url: 'https://example.com/\(String(repeating: "a", count: ForwardURL.maxBytes))' }"
        #expect(self.problems(long).contains { $0.message.contains("longer than") })
        #expect(self.problems("  - { name: a, url: 'https://example.com:99999999999999999999999/' }").contains { $0.message.contains("bad port") })
        let ipv6 = ForwardURL.parse("https://[2001:DB8::1]:8443")
        #expect(ipv6 == .success(ForwardURL(scheme: .https, host: "2001:db8::1", port: 8443, target: "/")))
        #expect((try? ipv6.get())?.description == "https://[2001:db8::1]:8443/")
        #expect((try? ForwardURL.parse("http://example.com?x=1").get())?.target == "/?x=1")
        // Found by the fuzzer: brackets hold an IPv6 address, not any hex digits and dots (which printed back unbracketed,
        // as a host name too long to parse).
        #expect(ForwardURL.parse("http://[2000eeee.\(String(repeating: ".", count: 300))]:4040/a") == .failure(.init("has a bad IPv6 address")))
        #expect(ForwardURL.parse("http://[1.2.3.4]/") == .failure(.init("has a bad IPv6 address")))
    }
}
