import NIOCore
import Testing

@testable import Hookbay

/// Forwarding's address policy: every range refused by default, the forms of IPv6 that carry a refused IPv4 address,
/// opened ranges, and CIDR parsing of hostile text.
@Suite struct ForwardNetworkPolicyTests {
    func refusal(_ text: String, _ policy: ForwardNetworkPolicy = ForwardNetworkPolicy()) throws -> String? {
        policy.refusal(try #require(IPNetwork.bytes(of: text), "\(text) is an address"))
    }

    @Test(arguments: [
        "127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1",
        "100.127.255.255", "169.254.169.254", "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250", "255.255.255.255",
        "240.0.0.1", "198.18.0.1", "::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "febf::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::a00:1",
        "2002:7f00:1::", "2002:a9fe:a9fe::1", "2001:db8::1", "::ffff:0:7f00:1", "::ffff:0:a9fe:a9fe", "64:ff9b:1::a00:1",
        "2001::1", "192.88.99.1", "3fff::1",
    ])
    func refusedByDefault(address: String) throws {
        let reason = try self.refusal(address)
        #expect(reason != nil, "\(address) was allowed")
        #expect(reason?.contains("--forward-allow-network") == true)
    }

    @Test(arguments: [
        "93.184.216.34", "8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "100.128.0.1", "11.0.0.1", "223.255.255.255",
        "2606:4700:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::",
    ])
    func publicAddressesAreAllowed(address: String) throws {
        #expect(try self.refusal(address) == nil)
    }

    @Test func openedRangesAreAllowedAndOnlyThose() throws {
        let policy = ForwardNetworkPolicy(allowed: [try #require(IPNetwork("127.0.0.0/8")), try #require(IPNetwork("fd00::/16"))])
        #expect(try self.refusal("127.0.0.1", policy) == nil)
        #expect(try self.refusal("::ffff:127.0.0.1", policy) == nil)
        #expect(try self.refusal("fd00::5", policy) == nil)
        #expect(try self.refusal("fd01::5", policy) != nil)
        #expect(try self.refusal("10.0.0.1", policy) != nil)
        #expect(try self.refusal("::1", policy) != nil)
        let reason = try self.refusal("169.254.169.254")
        #expect(
            reason
                == "169.254.169.254 is a link-local address (the cloud metadata service among them) (169.254.0.0/16); open it with --forward-allow-network if it is meant"
        )
    }

    @Test func cidrParsing() throws {
        #expect(IPNetwork("10.1.2.3/8")?.description == "10.0.0.0/8")
        #expect(IPNetwork("10.1.2.3")?.description == "10.1.2.3/32")
        #expect(IPNetwork("0.0.0.0/0")?.contains([8, 8, 8, 8]) == true)
        #expect(IPNetwork("0.0.0.0/0")?.contains(Array(repeating: 0, count: 16)) == false)
        #expect(IPNetwork("2001:db8:0:0:1:0:0:1/128")?.description == "2001:db8::1:0:0:1/128")
        #expect(IPNetwork("fe80::/10")?.contains(try #require(IPNetwork.bytes(of: "febf:ffff::"))) == true)
        #expect(IPNetwork("fe80::/10")?.contains(try #require(IPNetwork.bytes(of: "fec0::"))) == false)
        #expect(IPNetwork("10.0.0.0/31")?.contains([10, 0, 0, 1]) == true)
        #expect(IPNetwork("10.0.0.0/31")?.contains([10, 0, 0, 2]) == false)
        for bad in [
            "", "/", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8", "::/129", "example.com",
            "10.0.0", "10.0.0.256", "fe80::1%eth0", "10.0.0.0/0008", "10.0.0.0/99999999999999999999",
            String(repeating: "1", count: 1_000_000), "::/١٢",
        ] {
            #expect(IPNetwork(bad) == nil, "\(bad.prefix(40)) was parsed")
        }
    }

    @Test func theResolverKeepsOnlyAllowedAddresses() async throws {
        let closed = ForwardAddressResolver(policy: ForwardNetworkPolicy())
        await #expect(throws: ForwardAddressResolver.Refusal.self) { _ = try await closed.resolve(host: "localhost", port: 8080) }
        do {
            _ = try await closed.resolve(host: "localhost", port: 8080)
        } catch {
            #expect(error.description.contains("refused to connect to localhost") && error.description.contains("loopback"), "\(error)")
            #expect(error.byPolicy)
        }
        do {
            _ = try await closed.resolve(host: "169.254.169.254", port: 80)
            Issue.record("the metadata address was allowed")
        } catch {
            #expect(error.description.contains("link-local"), "\(error)")
        }
        do {
            _ = try await closed.resolve(host: "no-such-host.invalid", port: 80)
            Issue.record("an unresolvable name resolved")
        } catch {
            #expect(error.description.contains("cannot resolve no-such-host.invalid"), "\(error)")
            // Not the policy's refusal: a DNS failure is retried, never dead-lettered at once.
            #expect(!error.byPolicy)
        }
        let public4 = try await closed.resolve(host: "93.184.216.34", port: 443)
        #expect(public4.map(\.port) == [443])
        #expect(public4.compactMap(IPNetwork.bytes(of:)) == [[93, 184, 216, 34]])

        let opened = ForwardAddressResolver(
            policy: ForwardNetworkPolicy(allowed: [try #require(IPNetwork("127.0.0.0/8")), try #require(IPNetwork("::1/128"))]))
        let local = try await opened.resolve(host: "localhost", port: 8080)
        #expect(!local.isEmpty)
        #expect(local.allSatisfy { $0.port == 8080 })
        // Only what the policy allows is kept from a mixed answer.
        let mixed = try opened.allowed(
            [try SocketAddress(ipAddress: "10.0.0.1", port: 1), try SocketAddress(ipAddress: "127.0.0.1", port: 1)], host: "mixed")
        #expect(mixed.compactMap(IPNetwork.bytes(of:)) == [[127, 0, 0, 1]])
    }
}
