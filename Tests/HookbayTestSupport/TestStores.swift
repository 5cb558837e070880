import Foundation
import Logging
import PostgresNIO

@testable import Hookbay

/// The content store backends the store's tests run against: SQLite always, PostgreSQL when
/// `HOOKBAY_TEST_POSTGRES_URL` names a server (`scripts/test` starts one) and always on CI, where a missing server
/// must fail them.
public enum TestStores {
    public enum Backend: String, Sendable, CaseIterable, CustomStringConvertible {
        case sqlite
        case postgres
        public var description: String { self.rawValue }
    }

    public static let postgresURL = ProcessInfo.processInfo.environment["HOOKBAY_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// The backends to test here.
    public static let backends: [Backend] = [.sqlite] + (postgresURL != nil || TestRedis.isCI ? [.postgres] : [])

    public static func postgresLocation() throws -> PostgresLocation {
        guard let url = postgresURL else {
            throw TestSetupError("HOOKBAY_TEST_POSTGRES_URL is not set: the PostgreSQL tests need a server (bash scripts/test starts one)")
        }
        guard case .postgres(let location) = try DatabaseLocation(url) else {
            throw TestSetupError("HOOKBAY_TEST_POSTGRES_URL is not a postgres:// URL")
        }
        return location
    }

    /// Runs `body` with a migrated store of `backend` (a new SQLite file; the shared test PostgreSQL database, whose
    /// pool runs for the body's duration) and a platform id no other test uses.
    public static func with<T: Sendable>(
        _ backend: Backend, poolSize: Int = 4, _ body: @Sendable (any ContentStore, String) async throws -> T
    ) async throws -> T {
        let platform = Fixtures.uniqueID("store")
        let logger = Logger(label: "test-store")
        switch backend {
        case .sqlite:
            return try await body(try SQLiteContentStore(path: try Fixtures.configDirectory([:]) + "/content.sqlite"), platform)
        case .postgres:
            let store = try PostgresContentStore(location: try postgresLocation(), poolSize: poolSize, logger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await store.run() }
                defer { group.cancelAll() }
                try await store.prepare(timeout: .seconds(30), logger: logger)
                return try await body(store, platform)
            }
        }
    }

    /// Runs `statements` on the test PostgreSQL database, one connection, in order (set-up a test needs beyond the
    /// store's API: a trigger that refuses one row).
    public static func executePostgres(_ statements: [String]) async throws {
        let location = try postgresLocation()
        let configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Logger(label: "test-sql"))
        do {
            for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Logger(label: "test-sql")) }
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
