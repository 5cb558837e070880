import Foundation

@testable import Hookbay

/// A private PostgreSQL server on a free loopback port (through `scripts/postgres-server`), for tests that stop and
/// restart the content database under a running gateway.
public final class PostgresServerProcess: Sendable {
    public let port: Int
    /// The server's directory (data, socket, log).
    public let directory: String

    public var location: PostgresLocation {
        PostgresLocation(host: "127.0.0.1", port: self.port, username: "hookbay", password: "hookbay-test", database: "hookbay", tls: .disable)
    }

    private init(port: Int, directory: String) {
        self.port = port
        self.directory = directory
    }

    /// A new server, initialised and answering.
    public static func started() async throws -> PostgresServerProcess {
        let server = PostgresServerProcess(port: Fixtures.freePort(), directory: try Fixtures.configDirectory([:]) + "/pg")
        try await server.start()
        return server
    }

    public func start() async throws {
        try await Self.script(["start", self.directory, String(self.port)])
    }

    /// Stops the server: `fast` (sessions ended, a clean shutdown) or `immediate` (as a crash).
    public func stop(mode: String = "fast") async throws {
        try await Self.script(["stop", self.directory, mode])
    }

    /// Starts stopping the server without waiting (for a `defer`, which cannot wait).
    public func stopInBackground() {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [TestPlugins.packageRoot.appendingPathComponent("scripts/postgres-server").path, "stop", self.directory, "immediate"]
        try? process.run()
    }

    /// Runs `scripts/postgres-server` with `arguments` to its end, off the cooperative pool. Through `posix_spawn` and
    /// `waitpid`, not Foundation's `Process`, whose wait for it never returned here (the script's child, the server,
    /// outlives it).
    private static func script(_ arguments: [String]) async throws {
        let log = try Fixtures.configDirectory([:]) + "/postgres-server.log"
        let command = ([TestPlugins.packageRoot.appendingPathComponent("scripts/postgres-server").path] + arguments)
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let status = try await runBlocking { () throws -> Int32 in
            var pid: pid_t = 0
            // The server outlives the script: it must not inherit the test process's sockets (a connection the gateway
            // under test closes would stay open in it), so every descriptor past the standard three is closed first.
            let closeInherited = "for fd in /proc/$$/fd/*; do n=${fd##*/}; [ \"$n\" -gt 2 ] && eval \"exec $n>&-\"; done 2>/dev/null"
            let words = ["/bin/bash", "-c", "\(closeInherited); exec /bin/bash \(command) >'\(log)' 2>&1 </dev/null"]
            let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
            defer { for word in argv { free(word) } }
            let spawned = posix_spawn(&pid, "/bin/bash", nil, nil, argv, environ)
            guard spawned == 0 else { throw TestSetupError("cannot start scripts/postgres-server: errno \(spawned)") }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            return status
        }
        guard status == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw TestSetupError("scripts/postgres-server \(arguments.joined(separator: " ")) failed (\(status)): \(output)")
        }
    }
}
