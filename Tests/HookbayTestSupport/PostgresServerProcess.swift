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

    /// Starts stopping the server without waiting (for a `defer`, which cannot wait). The script is reaped in the
    /// background.
    public func stopInBackground() {
        guard let script = try? ChildProcess.spawn("/bin/bash", [Self.scriptPath, "stop", self.directory, "immediate"]) else { return }
        Task.detached { _ = try? await script.waitForExit() }
    }

    private static var scriptPath: String { TestPlugins.packageRoot.appendingPathComponent("scripts/postgres-server").path }

    /// Runs `scripts/postgres-server` with `arguments` to its end, its output in a log file. Through `ChildProcess`,
    /// not Foundation's `Process`, whose wait for it never returned here (the script's child, the server, outlives it
    /// and holds its output): the server inherits no descriptor of the test process past the standard three (a
    /// connection the gateway under test closes would stay open in it), and only the script is waited for.
    private static func script(_ arguments: [String]) async throws {
        let log = try Fixtures.configDirectory([:]) + "/postgres-server.log"
        let script = try ChildProcess.spawn("/bin/bash", [Self.scriptPath] + arguments, stdout: .file(log), stderr: .standardOutput)
        let status = try await script.waitForExit()
        guard status == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw TestSetupError("scripts/postgres-server \(arguments.joined(separator: " ")) failed (\(status)): \(output)")
        }
    }
}
