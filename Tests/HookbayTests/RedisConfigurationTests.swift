import HookbayRedis
import Testing

@Suite struct RedisConfigurationTests {
    @Test func parsesFullURL() throws {
        let c = try RedisConfiguration(url: "redis://:p%40ss@redis.internal:6380/3")
        #expect(c.host == "redis.internal")
        #expect(c.port == 6380)
        #expect(c.password == "p@ss")
        #expect(c.username == nil)
        #expect(c.database == 3)
    }

    @Test func parsesUserAndDefaults() throws {
        let c = try RedisConfiguration(url: "redis://app:pw@localhost")
        #expect(c.username == "app")
        #expect(c.password == "pw")
        #expect(c.port == 6379)
        #expect(c.database == 0)
        let ipv6 = try RedisConfiguration(url: "redis://[::1]:7000")
        #expect(ipv6.host == "::1")
        #expect(ipv6.port == 7000)
    }

    @Test(arguments: ["http://localhost", "redis://host:99999", "redis://host:abc", "redis://host/x"])
    func refusesBadURLs(url: String) {
        #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
    }

    @Test func redactsPasswords() {
        #expect(RedisConfiguration.redacted("redis://:secret@host:1") == "redis://***@host:1")
        #expect(!"\(RedisError.invalidURL(RedisConfiguration.redacted("redis://:secret@h:x")))".contains("secret"))
    }
}
