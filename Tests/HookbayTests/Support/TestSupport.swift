import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPTypes
import HookbayRedis
import Logging
import NIOCore
import Testing

@testable import Hookbay

/// Platform files, envelopes and signatures for tests.
enum Fixtures {
    static let secret = "test-secret-4f1c2a"
    static let secretEnv = "HOOKBAY_TEST_SECRET"
    static let environment = [secretEnv: secret]

    static var logger: Logger {
        var logger = Logger(label: "hookbay-test")
        logger.logLevel = .critical
        return logger
    }

    /// A loopback port nothing listens on, for a server a test spawns. Taken below Linux's ephemeral range
    /// (32768–60999), where the outgoing connections of concurrent tests (one holds 2,000 open) cannot hold it, and
    /// checked by binding it once.
    static func freePort() -> Int {
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
    static func withLoopback<T>(_ port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// A fresh platform id, so tests sharing one Redis never touch each other's keys.
    static func uniqueID(_ prefix: String = "p") -> String {
        "\(prefix)-\(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF)"
    }

    /// A platform file with the test secret; `extra` is appended as more YAML keys.
    static func platformYAML(id: String, extra: String = "") -> String {
        """
        platform: \(id)
        secret_env: \(secretEnv)
        required_fields: [content_id]
        \(extra)
        """
    }

    /// A temporary config directory holding `files`.
    static func configDirectory(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hookbay-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: (dir as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return dir
    }

    /// A gateway configuration on a temporary database; no workers unless asked (the receive tests inspect the queue).
    static func gateway(configDirectory: String, redisURL: String?, maxBodyBytes: Int = 1 << 20, workers: Int = 0,
                        claimIdle: Duration = .seconds(60)) throws -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.configDirectory = configDirectory
        configuration.redisURL = redisURL
        configuration.maxBodyBytes = maxBodyBytes
        configuration.databasePath = try Fixtures.configDirectory(["README": "scratch"]) + "/content.sqlite"
        configuration.workers = workers
        configuration.consumerName = uniqueID("test-worker")
        configuration.claimIdle = claimIdle
        configuration.claimInterval = .milliseconds(100)
        configuration.reloadInterval = .milliseconds(100)
        return configuration
    }

    /// The seed's envelope as JSON text.
    static func envelope(platform: String, eventType: String = "content_added", contentID: String = "12345",
                         title: String = "New Movie", timestamp: String = "2025-12-06T00:00:00Z") -> String {
        """
        {"event_type":"\(eventType)","platform":"\(platform)","timestamp":"\(timestamp)",\
        "payload":{"content_id":"\(contentID)","title":"\(title)"}}
        """
    }

    /// `sha256=<hex>` of `body` under `secret`.
    static func signature(_ body: String, secret: String = Fixtures.secret) -> String {
        SignatureVerifier.sign(
            body: Array(body.utf8),
            secret: PlatformSecret(bytes: Array(secret.utf8), source: "test"),
            signature: PlatformConfig.Signature()
        )
    }

    /// Headers of a correctly signed delivery.
    static func signedHeaders(_ body: String, secret: String = Fixtures.secret) -> HTTPFields {
        [HTTPField.Name("X-Webhook-Signature")!: signature(body, secret: secret), .contentType: "application/json"]
    }
}

/// Where the Redis-backed tests find Redis: `REDIS_URL` (set by `scripts/test` and `.ci/run`).
enum TestRedis {
    static let environment = ProcessInfo.processInfo.environment
    static let isCI = environment["CI"] == "true"

    /// Run the Redis tests when a Redis is configured, and always on CI, where a missing Redis must fail them.
    static let enabled = environment["REDIS_URL"] != nil || isCI

    /// Whether tests that start their own `redis-server` can run (always on CI).
    static let canSpawn = serverBinary != nil || isCI

    static func url() throws -> String {
        guard let url = environment["REDIS_URL"], !url.isEmpty else {
            throw TestSetupError("REDIS_URL is not set: the Redis-backed tests need a running Redis (bash scripts/test starts one)")
        }
        return url
    }

    static var serverBinary: String? {
        let path = (environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/bin:/usr/local/bin:/usr/sbin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A private `redis-server` on a free loopback port, for tests that stop and restart Redis.
final class RedisServerProcess: @unchecked Sendable {
    // @unchecked: `process` is only replaced by start()/stop(), which a test calls from one task at a time.
    let port: Int
    private var process: Process?

    var url: String { "redis://127.0.0.1:\(port)" }

    init() throws {
        guard TestRedis.serverBinary != nil else {
            throw TestSetupError("redis-server is not installed (apt-get install -y redis-server)")
        }
        self.port = Fixtures.freePort()
    }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestRedis.serverBinary!)
        process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", FileManager.default.temporaryDirectory.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Wait until it answers.
        let client = RedisClient(configuration: .init(port: port, reconnectBackoff: .zero), logger: Fixtures.logger)
        defer { client.shutdown() }
        for _ in 0..<100 {
            if (try? await client.ping()) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSetupError("redis-server on port \(port) did not start")
    }

    func stop() {
        guard let process else { return }
        // SIGKILL: a test process that ran a ServiceGroup ignores SIGTERM, and children inherit that.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    deinit { stop() }
}

/// Builds test-only C plugins from `Fixtures/bad_plugins.c` with gcc, and finds the package's real ones.
enum TestPlugins {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Where `swift build` put the real plugins: beside the test bundle.
    static var buildDirectory: String { PluginLoader.executableDirectory! }

    static func real(_ product: String) -> String { "\(buildDirectory)/lib\(product).so" }

    /// Compiles a variant into `directory` (a new temporary one by default) and returns its path.
    static func build(variant: String?, name: String = "test-plugin", in directory: String? = nil) throws -> String {
        let dir = try directory ?? Fixtures.configDirectory([:])
        let output = "\(dir)/lib\(variant ?? "ok")-\(name).so"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["gcc", "-shared", "-fPIC", "-O1", "-o", output,
                         "-I", packageRoot.appendingPathComponent("Sources/HookbayPluginABI/include").path,
                         "-DNAME=\"\(name)\""]
        if let variant { arguments.append("-DVARIANT_\(variant)") }
        arguments.append(packageRoot.appendingPathComponent("Tests/HookbayTests/Fixtures/bad_plugins.c").path)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestSetupError("gcc failed for variant \(variant ?? "ok")") }
        return output
    }
}

/// Real `hookbay` processes (the executable `swift build` puts beside the test bundle) and plain HTTP to them.
enum HookbayProcess {
    /// Starts `hookbay` with `arguments`, the test secret in its environment (plus `environment`), output discarded
    /// unless `stderr` is given.
    static func spawn(_ arguments: [String], environment: [String: String] = [:], stderr: FileHandle? = nil) throws -> Process {
        let process = Process()
        process.executableURL = CheckCommandTests.executable
        process.arguments = arguments
        process.environment = Fixtures.environment.merging(environment) { _, new in new }.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    /// GETs `127.0.0.1:port` + `path`; the status, or `nil` when nothing answered.
    static func get(port: Int, path: String) async -> Int? {
        let request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!, timeoutInterval: 2)
        return await withCheckedContinuation { continuation in
            URLSession.shared.dataTask(with: request) { _, response, _ in
                continuation.resume(returning: (response as? HTTPURLResponse)?.statusCode)
            }.resume()
        }
    }

    /// POSTs `body` to `127.0.0.1:port` + `path`; the status and body, or `nil` when nothing answered.
    static func post(port: Int, path: String, body: String, headers: [String: String]) async -> (status: Int, body: String)? {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return await withCheckedContinuation { continuation in
            URLSession.shared.dataTask(with: request) { data, response, _ in
                guard let status = (response as? HTTPURLResponse)?.statusCode else { return continuation.resume(returning: nil) }
                continuation.resume(returning: (status, String(decoding: data ?? Data(), as: UTF8.self)))
            }.resume()
        }
    }

    /// A signed delivery of the seed's envelope for `platform`.
    static func postSigned(port: Int, platform: String, contentID: String = UUID().uuidString) async -> (status: Int, body: String)? {
        let body = Fixtures.envelope(platform: platform, contentID: contentID)
        return await post(port: port, path: "/api/v1/webhooks/\(platform)", body: body, headers: ["X-Webhook-Signature": Fixtures.signature(body)])
    }
}
