import NIOCore
import Testing

@testable import HookbayRedis

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

/// Commands are encoded as RESP arrays of bulk strings, integers in decimal.
@Suite struct RedisCommandEncodingTests {
    @Test func encodesStringsBytesAndIntegers() {
        var buffer = ByteBuffer()
        buffer.writeRedisCommand([
            "SET", .string("k€y"), .bytes(ByteBuffer(string: "v\r\n")), .integer(0), .integer(-1),
            .integer(Int.max), .integer(Int.min), .integer(1_000_000),
        ])
        let expected =
            "*8\r\n$3\r\nSET\r\n$5\r\nk€y\r\n$3\r\nv\r\n\r\n$1\r\n0\r\n$2\r\n-1\r\n$19\r\n9223372036854775807\r\n"
            + "$20\r\n-9223372036854775808\r\n$7\r\n1000000\r\n"
        #expect(String(buffer: buffer) == expected)
    }

    @Test func appendsAfterWhatIsInTheBufferAndCopiesLargeArgumentsWhole() {
        var buffer = ByteBuffer(string: "*1\r\n$4\r\nPING\r\n")
        let large = String(repeating: "x", count: 70_000)
        var slice = ByteBuffer(string: "--payload--")
        slice.moveReaderIndex(forwardBy: 2)
        buffer.writeRedisCommand(["XADD", .string(""), .string(large), .bytes(slice), .bytes(ByteBuffer()), .integer(9), .integer(10)])
        let expected =
            "*1\r\n$4\r\nPING\r\n*7\r\n$4\r\nXADD\r\n$0\r\n\r\n$70000\r\n\(large)\r\n$9\r\npayload--\r\n$0\r\n\r\n"
            + "$1\r\n9\r\n$2\r\n10\r\n"
        #expect(String(buffer: buffer) == expected)
    }
}
