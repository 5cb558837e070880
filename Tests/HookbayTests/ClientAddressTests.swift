import HookbayTestSupport
import Testing

@testable import Hookbay

/// Who a delivery came from, for `allow_ips`: the peer, or behind trusted proxies the `X-Forwarded-For` client.
@Suite struct ClientAddressTests {
    static func bytes(_ text: String) -> [UInt8]? { IPNetwork.bytes(of: text) }
    static let proxies = [IPNetwork("10.0.0.0/8")!, IPNetwork("fd00::/8")!]

    static func resolve(_ peer: String, _ forwardedFor: String?, trusted: [IPNetwork] = proxies) -> String? {
        ClientAddress.resolve(peer: bytes(peer), forwardedFor: forwardedFor, trusted: trusted).map(IPNetwork.text(of:))
    }

    @Test func withoutTrustedProxiesThePeerIsTheClientWhateverTheHeaderSays() {
        #expect(Self.resolve("203.0.113.9", "198.51.100.1", trusted: []) == "203.0.113.9")
        // A peer that is not a trusted proxy: its header is not believed either.
        #expect(Self.resolve("203.0.113.9", "198.51.100.1") == "203.0.113.9")
        // A trusted proxy that says nothing of whom it forwards for gives no client.
        #expect(Self.resolve("10.1.1.1", nil) == nil)
    }

    @Test func behindTrustedProxiesTheRightmostUntrustedAddressIsTheClient() {
        #expect(Self.resolve("10.1.1.1", "198.51.100.1") == "198.51.100.1")
        // What the client wrote itself (on the left) is not believed: the proxy appended the real peer.
        #expect(Self.resolve("10.1.1.1", "192.0.2.66, 198.51.100.1, 10.2.2.2") == "198.51.100.1")
        #expect(Self.resolve("10.1.1.1", "198.51.100.1:4711") == "198.51.100.1")
        #expect(Self.resolve("10.1.1.1", "[2001:db8::1]:443, fd00::2") == "2001:db8::1")
        #expect(Self.resolve("10.1.1.1", "2001:db8::7") == "2001:db8::7")
        // Every hop trusted: the leftmost began it.
        #expect(Self.resolve("10.1.1.1", "10.9.9.9, 10.3.3.3") == "10.9.9.9")
    }

    @Test func aGarbledOrOversizedHeaderGivesNoClient() {
        for header in ["not-an-ip", "198.51.100.1, bogus", "198.51.100.1:port", "[::1", "1.2.3.4.5", "1.2.3.4/8"] {
            #expect(Self.resolve("10.1.1.1", header) == nil, "\(header)")
        }
        #expect(Self.resolve("10.1.1.1", String(repeating: "10.0.0.1,", count: 600)) == nil)
        #expect(Self.resolve("10.1.1.1", Array(repeating: "10.0.0.1", count: 65).joined(separator: ",")) == nil)
        #expect(Self.resolve("10.1.1.1", Array(repeating: "10.0.0.1", count: 64).joined(separator: ",")) == "10.0.0.1")
    }

    @Test func trustingEveryAddressIsRefused() {
        var configuration = GatewayConfiguration()
        for text in ["0.0.0.0/0", "10.0.0.0/8,::/0"] {
            #expect(GatewaySettings.trustedProxy.apply(text, &configuration) != nil, "\(text)")
        }
        #expect(GatewaySettings.trustedProxy.apply("10.0.0.0/8, fd00::/8", &configuration) == nil)
        #expect(configuration.trustedProxies.count == 2)
    }

    @Test func anIPv4MappedPeerIsItsIPv4Address() {
        #expect(Self.resolve("::ffff:203.0.113.9", nil, trusted: []) == "203.0.113.9")
        #expect(Self.resolve("::ffff:10.1.1.1", "198.51.100.1") == "198.51.100.1")
    }

    @Test func anIPv4MappedRangeIsTheIPv4Range() {
        #expect(IPNetwork("::ffff:192.0.2.0/120")!.asClientRange == IPNetwork("192.0.2.0/24"))
        #expect(IPNetwork("::ffff:203.0.113.9")!.asClientRange == IPNetwork("203.0.113.9/32"))
        #expect(IPNetwork("2001:db8::/32")!.asClientRange == IPNetwork("2001:db8::/32"))
        #expect(IPNetwork("::/0")!.asClientRange == IPNetwork("::/0"))
        // So a mapped range matches the client it names, and trusting all of IPv4 that way is still refused.
        var configuration = GatewayConfiguration()
        #expect(GatewaySettings.trustedProxy.apply("::ffff:10.0.0.0/104", &configuration) == nil)
        #expect(Self.resolve("::ffff:10.1.1.1", "198.51.100.1", trusted: configuration.trustedProxies) == "198.51.100.1")
        #expect(GatewaySettings.trustedProxy.apply("::ffff:0.0.0.0/96", &configuration) != nil)
        let parsed = try? PlatformFileParser(environment: Fixtures.environment).parse(
            yaml: Fixtures.platformYAML(id: "a", extra: "allow_ips: ['::ffff:192.0.2.0/120']"), file: "a.yaml")
        #expect(parsed?.allowIPs == [IPNetwork("192.0.2.0/24")!])
    }
}
