import Foundation
import HTTPTypes
import HookbayRedis
import Logging
import NIOCore
import Synchronization
import Testing

@testable import Hookbay

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Platform files, envelopes and signatures for tests.
public enum Fixtures {
    public static let secret = "test-secret-4f1c2a"
    public static let secretEnv = "HOOKBAY_TEST_SECRET"
    public static let environment = [secretEnv: secret]

    public static var logger: Logger {
        var logger = Logger(label: "hookbay-test")
        logger.logLevel = .critical
        return logger
    }

    /// A loopback port nothing listens on, for a server a test spawns. Taken below Linux's ephemeral range
    /// (32768–60999), where the outgoing connections of concurrent tests (one holds 2,000 open) cannot hold it, and
    /// checked by binding it once.
    public static func freePort() -> Int {
        while true {
            let port = Int.random(in: 20000...32000)
            // Never the same port twice in one test run: two tests checking at once could both find it free.
            guard handedOutPorts.withLock({ $0.insert(port).inserted }) else { continue }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            let bound = withLoopback(port) { bind(fd, $0, $1) }
            close(fd)
            if bound == 0 { return port }
        }
    }

    private static let handedOutPorts = Mutex<Set<Int>>([])

    /// Calls `body` with the address 127.0.0.1:`port` as the socket calls take it.
    public static func withLoopback<T>(_ port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// A fresh platform id, so tests sharing one Redis never touch each other's keys.
    public static func uniqueID(_ prefix: String = "p") -> String {
        "\(prefix)-\(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF)"
    }

    /// A platform file with the test secret; `extra` is appended as more YAML keys.
    public static func platformYAML(id: String, extra: String = "") -> String {
        """
        platform: \(id)
        secret_env: \(secretEnv)
        required_fields: [content_id]
        \(extra)
        """
    }

    /// A temporary config directory holding `files`.
    public static func configDirectory(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hookbay-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: (dir as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return dir
    }

    /// A gateway configuration on a temporary database; no workers unless asked (the receive tests inspect the queue).
    public static func gateway(
        configDirectory: String, redisURL: String?, maxBodyBytes: Int = 1 << 20, workers: Int = 0,
        claimIdle: Duration = .seconds(60)
    ) throws -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.configDirectory = configDirectory
        configuration.redisURL = redisURL
        configuration.maxBodyBytes = maxBodyBytes
        configuration.database = .sqlite(path: try Fixtures.configDirectory(["README": "scratch"]) + "/content.sqlite")
        configuration.workers = workers
        configuration.consumerName = uniqueID("test-worker")
        configuration.claimIdle = claimIdle
        configuration.claimInterval = .milliseconds(100)
        configuration.reloadInterval = .milliseconds(100)
        return configuration
    }

    /// The seed's envelope as JSON text.
    /// - Parameter padding: bytes of a `padding` member first (a large body, which Redis keeps apart from its entry).
    public static func envelope(
        platform: String, eventType: String = "content_added", contentID: String = "12345",
        title: String = "New Movie", timestamp: String = "2025-12-06T00:00:00Z", padding: Int = 0
    ) -> String {
        let pad = padding > 0 ? #""padding":""# + String(repeating: "p", count: padding) + #"","# : ""
        return """
            {\(pad)"event_type":"\(eventType)","platform":"\(platform)","timestamp":"\(timestamp)",\
            "payload":{"content_id":"\(contentID)","title":"\(title)"}}
            """
    }

    /// `sha256=<hex>` of `body` under `secret`.
    public static func signature(_ body: String, secret: String = Fixtures.secret) -> String {
        SignatureVerifier.sign(
            body: Array(body.utf8),
            secret: PlatformSecret(bytes: Array(secret.utf8), source: "test"),
            signature: PlatformConfig.Signature()
        )
    }

    /// Headers of a correctly signed delivery.
    public static func signedHeaders(_ body: String, secret: String = Fixtures.secret) -> HTTPFields {
        [HTTPField.Name("X-Webhook-Signature")!: signature(body, secret: secret), .contentType: "application/json"]
    }
}
