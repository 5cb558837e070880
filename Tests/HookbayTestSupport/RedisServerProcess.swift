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

/// A private `redis-server` on a free loopback port, for tests that stop and restart Redis.
public final class RedisServerProcess: @unchecked Sendable {
    // @unchecked: `process` is only replaced by start()/stop(), which a test calls from one task at a time.
    public let port: Int
    /// More `redis-server` arguments (`--replicaof 127.0.0.1 6379`).
    public let arguments: [String]
    private var process: ChildProcess?

    public var url: String { "redis://127.0.0.1:\(port)" }

    public init(arguments: [String] = []) throws {
        self.arguments = arguments
        guard TestRedis.serverBinary != nil else {
            throw TestSetupError("redis-server is not installed (apt-get install -y redis-server)")
        }
        self.port = Fixtures.freePort()
    }

    /// A private `redis-server` (with `arguments`), started and answering.
    public static func started(arguments: [String] = []) async throws -> RedisServerProcess {
        let server = try RedisServerProcess(arguments: arguments)
        try await server.start()
        return server
    }

    public func start() async throws {
        let arguments =
            [
                "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", FileManager.default.temporaryDirectory.path,
            ] + self.arguments
        self.process = try ChildProcess.spawn(TestRedis.serverBinary!, arguments, stdout: .discard, stderr: .discard)
        // Wait until it answers: up to 20 s, for a machine busy compiling (a replica syncing answers LOADING meanwhile).
        let client = RedisClient(configuration: .init(port: port, reconnectBackoff: .zero), logger: Fixtures.logger)
        defer { client.shutdown() }
        for _ in 0..<400 {
            if (try? await client.ping()) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSetupError("redis-server on port \(port) did not start")
    }

    public func stop() {
        guard let process else { return }
        // SIGKILL: gone at once, as in a crash (nothing is saved anyway), so the wait below is short.
        process.terminate(SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    deinit { stop() }
}
