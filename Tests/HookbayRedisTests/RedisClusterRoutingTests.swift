import NIOCore
import Testing

@testable import HookbayRedis

/// Hash slots, where a command's key is, the slot map from `CLUSTER SLOTS`, redirects, and cluster URLs.
@Suite struct RedisClusterRoutingTests {
    /// The cluster specification's examples, and the hash tag rules.
    @Test func slotsAreTheSpecificationsCRC16() {
        #expect(RedisClusterSlot.of(key: "123456789") == 0x31C3 & 16383)
        #expect(RedisClusterSlot.of(key: "foo") == 12182)
        #expect(RedisClusterSlot.of(key: "bar") == 5061)
        #expect(RedisClusterSlot.of(key: "") == 0)
        // The tag, when not empty, is what is hashed; `{}` is not a tag, and only the first `{` counts.
        #expect(RedisClusterSlot.of(key: "{user1000}.following") == RedisClusterSlot.of(key: "user1000"))
        #expect(RedisClusterSlot.of(key: "foo{}{bar}") == RedisClusterSlot.of(key: "foo{}{bar}"))
        #expect(RedisClusterSlot.of(key: "foo{}{bar}") != RedisClusterSlot.of(key: "bar"))
        #expect(RedisClusterSlot.of(key: "foo{{bar}}zap") == RedisClusterSlot.of(key: "{bar"))
        #expect(RedisClusterSlot.of(key: "foo{bar}{zap}") == RedisClusterSlot.of(key: "bar"))
        #expect(RedisClusterSlot.of(key: "{unterminated") == RedisClusterSlot.of(key: "{unterminated"))
        // Every key of a platform shares a slot.
        let slot = RedisClusterSlot.of(key: "webhooks:incoming:{netflix}")
        for key in ["webhooks:dlq:{netflix}", "webhook:hash:{netflix}:abc", "webhooks:ratelimit:{netflix}"] {
            #expect(RedisClusterSlot.of(key: key) == slot)
        }
        // Bytes, whatever they are, land in a slot.
        let hostile = ByteBuffer(bytes: (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        #expect((0..<16384).contains(RedisClusterSlot.of(command: ["GET", .bytes(hostile)]) ?? -1))
    }

    @Test func aCommandsSlotIsItsFirstKeys() {
        let key = "webhooks:incoming:{p}"
        let slot = RedisClusterSlot.of(key: key)
        #expect(RedisClusterSlot.of(command: ["XLEN", .string(key)]) == slot)
        #expect(RedisClusterSlot.of(command: ["EVALSHA", "abc", .integer(2), .string(key), "other"]) == slot)
        #expect(RedisClusterSlot.of(command: ["EVAL", "return 1", .integer(0), "arg"]) == nil)
        #expect(RedisClusterSlot.of(command: ["XREADGROUP", "GROUP", "g", "c", "COUNT", .integer(1), "STREAMS", .string(key), ">"]) == slot)
        #expect(RedisClusterSlot.of(command: ["XGROUP", "CREATE", .string(key), "g", "0", "MKSTREAM"]) == slot)
        #expect(RedisClusterSlot.of(command: ["XINFO", "GROUPS", .string(key)]) == slot)
        #expect(RedisClusterSlot.of(command: ["PING"]) == nil)
        #expect(RedisClusterSlot.of(command: ["WAIT", .integer(1), .integer(100)]) == nil)
        #expect(RedisClusterSlot.of(command: ["INFO", "server"]) == nil)
        #expect(RedisClusterSlot.of(command: []) == nil)
        #expect(RedisClusterSlot.of(command: ["XREADGROUP", "STREAMS"]) == nil)
    }

    @Test func theMapIsWhatClusterSlotsSays() throws {
        func node(_ host: String, _ port: Int) -> RESPValue {
            .array([.bulkString(ByteBuffer(string: host)), .integer(port), .bulkString(ByteBuffer(string: "id"))])
        }
        let reply = RESPValue.array([
            .array([.integer(0), .integer(5460), node("10.0.0.1", 7000), node("10.0.0.4", 7003)]),
            .array([.integer(5461), .integer(10922), node("", 7001)]),
            .array([.integer(10923), .integer(16383), node("?", 7002)]),
        ])
        var map = try RedisClusterMap(clusterSlots: reply, answeredBy: RedisNodeAddress(host: "seed", port: 1))
        #expect(map.primaries == [RedisNodeAddress(host: "10.0.0.1", port: 7000), RedisNodeAddress(host: "seed", port: 7001)])
        #expect(map.primary(for: 0)?.port == 7000)
        #expect(map.primary(for: 5460)?.port == 7000)
        #expect(map.primary(for: 5461)?.host == "seed")
        #expect(map.primary(for: 16383) == nil)
        #expect(map.primary(for: 16384) == nil)
        #expect(map.primary(for: -1) == nil)
        map.assign(slot: 16383, to: RedisNodeAddress(host: "10.0.0.3", port: 7002))
        #expect(map.primary(for: 16383)?.port == 7002)
        #expect(map.primaries.count == 3)

        for bad: RESPValue in [
            .null, .array([]), .array([.array([.integer(5), .integer(4), node("h", 1)])]),
            .array([.array([.integer(0), .integer(16384), node("h", 1)])]),
            .array([.array([.integer(-1), .integer(3), node("h", 1)])]),
            .array([.array([.integer(0), .integer(3), node("h", 0)])]),
            .array([.array([.integer(0), .integer(3)])]),
        ] {
            #expect(throws: RedisError.self) { try RedisClusterMap(clusterSlots: bad, answeredBy: RedisNodeAddress(host: "s", port: 1)) }
        }
    }

    @Test func redirectsAreParsedAndAnythingElseIsNot() {
        let by = RedisNodeAddress(host: "10.0.0.9", port: 7000)
        let moved = RedisRedirect(.server("MOVED 3999 127.0.0.1:6381"), answeredBy: by)
        #expect(moved?.slot == 3999 && moved?.address == RedisNodeAddress(host: "127.0.0.1", port: 6381) && moved?.asking == false)
        #expect(RedisRedirect(.server("ASK 3999 :6381"), answeredBy: by)?.asking == true)
        #expect(RedisRedirect(.server("ASK 3999 :6381"), answeredBy: by)?.address == RedisNodeAddress(host: "10.0.0.9", port: 6381))
        #expect(RedisRedirect(.server("ASK 1 [::1]:7001"), answeredBy: by)?.address == RedisNodeAddress(host: "::1", port: 7001))
        for text in ["MOVED 16384 h:1", "MOVED -1 h:1", "MOVED 1 h:0", "MOVED 1 h:99999", "MOVED 1", "ERR MOVED 1 h:2", "MOVED x h:1", "MOVED 1 h"] {
            #expect(RedisRedirect(.server(text), answeredBy: by) == nil, "\(text)")
        }
        #expect(RedisRedirect(.connectionClosed, answeredBy: by) == nil)
    }

    @Test func clusterURLsNameTheirSeeds() throws {
        let c = try RedisConfiguration(url: "redis+cluster://:p%40ss@10.0.0.1:7000,10.0.0.2,[::1]:7002")
        #expect(c.isCluster)
        #expect(c.password == "p@ss")
        #expect(
            c.clusterSeeds == [
                RedisNodeAddress(host: "10.0.0.1", port: 7000), RedisNodeAddress(host: "10.0.0.2", port: 6379),
                RedisNodeAddress(host: "::1", port: 7002),
            ])
        #expect(c.displayAddress == "cluster 10.0.0.1:7000,10.0.0.2:6379,[::1]:7002")
        let node = c.node(RedisNodeAddress(host: "10.0.0.3", port: 7003))
        #expect(!node.isCluster && node.host == "10.0.0.3" && node.port == 7003 && node.password == "p@ss")
        #expect(try RedisConfiguration(url: "redis+cluster://h:1/0").isCluster)
        #expect(!(try RedisConfiguration(url: "redis://h:1").isCluster))
        let tooMany = "redis+cluster://" + (1...65).map { "h:\($0)" }.joined(separator: ",")
        for url in ["redis+cluster://h:1/2", "redis+cluster://h:1,,h:2", "redis+cluster://h:x", "redis+cluster://", tooMany] {
            #expect(throws: RedisError.self, "\(url)") { try RedisConfiguration(url: url) }
        }
        #expect(RedisConfiguration.redacted("redis+cluster://:secret@h:1,h:2") == "redis+cluster://***@h:1,h:2")
    }
}
