import HookbayJSON
import HookbayPluginKit
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The content database on a PostgreSQL server, through PostgresNIO's connection pool: for workers on several
/// machines. Same tables, columns and semantics as ``SQLiteContentStore`` (the protocol's, ``ContentStore``).
///
/// A batch is one transaction of a few statements whatever its size: one multi-row `INSERT ... ON CONFLICT DO
/// NOTHING RETURNING` records the deliveries (those it returns are new; the rest were applied before), then one
/// multi-row upsert per run of updates in which no content id repeats (an upsert may touch a row once per statement),
/// so updates keep their order. A `Service`: run it in the process's `ServiceGroup` before the workers, which
/// shut down first. When the server restarts, the pool reconnects with backoff; meanwhile calls fail with
/// ``ContentStoreError/unavailable(_:)`` and events wait in the queue.
public final class PostgresContentStore: ContentStore, Service {
    /// Rows per multi-row statement; PostgreSQL takes at most 65,535 parameters, and a content row has 11.
    static let rowsPerStatement = 1_000
    /// Key of the advisory lock that serialises migrations between processes starting at once.
    static let migrationLock: Int64 = 0x686f_6f6b_6261_79

    private let client: PostgresClient
    /// The same server settings, for the migrations' own connection.
    private let connectionConfiguration: PostgresConnection.Configuration
    private let logger: Logger
    private let prepared = Atomic<Bool>(false)

    /// A store on `location`, with at most `poolSize` connections; nothing connects before ``run()``. Throws when
    /// the TLS context `sslmode` asks for cannot be made.
    public init(location: PostgresLocation, poolSize: Int, logger: Logger) throws {
        let tls: PostgresClient.Configuration.TLS =
            switch location.tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: tls)
        configuration.options.maximumConnections = max(1, poolSize)
        configuration.options.connectTimeout = .seconds(5)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let connectionTLS: PostgresConnection.Configuration.TLS =
            switch location.tls {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        var connectionConfiguration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: connectionTLS)
        connectionConfiguration.options.connectTimeout = .seconds(5)
        self.connectionConfiguration = connectionConfiguration
        var logger = logger
        logger[metadataKey: "database"] = .string(location.displayAddress)
        self.logger = logger
    }

    /// Runs the connection pool until graceful shutdown.
    public func run() async {
        await self.client.run()
    }

    public func prepare(timeout: Duration, logger: Logger) async throws(ContentStoreError) {
        guard !self.prepared.load(ordering: .acquiring) else { return }
        let deadline = ContinuousClock.now + timeout
        var attempt = 0
        while true {
            do {
                try await self.migrate()
                self.prepared.store(true, ordering: .releasing)
                return
            } catch .unavailable(let reason) where ContinuousClock.now < deadline && !Task.isCancelled && !Task.isShuttingDownGracefully {
                attempt += 1
                let wait = Duration.milliseconds(min(5_000, 250 * (1 << min(attempt, 5))))
                logger.warning(
                    "content database unavailable; migrations wait for it",
                    metadata: ["error": .string(reason), "wait": .stringConvertible(wait)])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
            }
        }
    }

    /// Runs the migrations not yet recorded in `hookbay_schema_migrations`, in one transaction under an advisory
    /// lock (processes starting together take turns; the later ones find the work done). On a connection of its own,
    /// not the pool's: a refused connection then fails with the server's own reason (the pool only reports that it
    /// cannot connect).
    func migrate() async throws(ContentStoreError) {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: self.connectionConfiguration, id: 0, logger: self.logger)
        } catch {
            throw Self.classify(error)
        }
        let result: Result<Void, ContentStoreError>
        do {
            try await connection.withTransaction(logger: self.logger) { connection in
                try await Self.migrate(on: connection, logger: self.logger)
            }
            result = .success(())
        } catch {
            result = .failure(Self.classify(error))
        }
        try? await connection.close()
        try result.get()
    }

    private static func migrate(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS hookbay_schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
            """, logger: logger)
        var applied = Set<Int>()
        for try await version in try await connection.query("SELECT version FROM hookbay_schema_migrations", logger: logger)
            .decode(Int.self)
        {
            applied.insert(version)
        }
        for (version, name, statements) in Self.migrations where !applied.contains(version) {
            for statement in statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query(
                "INSERT INTO hookbay_schema_migrations (version, name, applied_at) VALUES (\(version), \(name), \(WallClock.milliseconds()))",
                logger: logger)
            logger.info("content database migrated", metadata: ["version": .stringConvertible(version), "name": .string(name)])
        }
    }

    /// The schema, version by version. Delivery ids compare byte by byte (`COLLATE "C"`): the retention deletes a
    /// range of them.
    static let migrations: [(version: Int, name: String, statements: [String])] = [
        (
            1, "content and applied events",
            [
                """
                CREATE TABLE content (
                    platform TEXT NOT NULL,
                    content_id TEXT NOT NULL,
                    title TEXT,
                    content_type TEXT,
                    status TEXT NOT NULL CHECK (status IN ('active', 'removed')),
                    attributes TEXT,
                    first_seen_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    event_time BIGINT NOT NULL,
                    last_event_id TEXT NOT NULL,
                    last_event_type TEXT NOT NULL,
                    PRIMARY KEY (platform, content_id))
                """,
                """
                CREATE TABLE applied_events (
                    platform TEXT NOT NULL,
                    delivery_id TEXT COLLATE "C" NOT NULL,
                    event_id TEXT NOT NULL,
                    applied_at BIGINT NOT NULL,
                    updates INTEGER NOT NULL,
                    applications INTEGER NOT NULL,
                    PRIMARY KEY (platform, delivery_id))
                """,
                "CREATE INDEX applied_events_by_event ON applied_events (platform, event_id)",
            ]
        )
    ]

    public func apply(_ events: [ContentApplication]) async throws(ContentStoreError) -> [ApplyOutcome] {
        guard !events.isEmpty else { return [] }
        try ContentApplication.requireStorable(events)
        let now = WallClock.milliseconds()
        return try await self.transaction { connection, logger in
            // 1. Record the deliveries; the ones returned are new.
            var new = Set<DeliveryKey>()
            for chunk in Self.chunks(events.indices, size: Self.rowsPerStatement) {
                var sql = "INSERT INTO applied_events (platform, delivery_id, event_id, applied_at, updates, applications) VALUES "
                var binds = PostgresBindings(capacity: chunk.count * 5)
                for (row, index) in chunk.enumerated() {
                    let event = events[index]
                    let first = row * 5
                    sql += row == 0 ? "" : ", "
                    sql += "($\(first + 1), $\(first + 2), $\(first + 3), $\(first + 4), $\(first + 5), 1)"
                    binds.append(event.platform)
                    binds.append(event.deliveryID)
                    binds.append(event.eventID)
                    binds.append(now)
                    binds.append(event.updates.count)
                }
                sql += " ON CONFLICT (platform, delivery_id) DO NOTHING RETURNING platform, delivery_id"
                let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
                for try await (platform, deliveryID) in rows.decode((String, String).self) {
                    new.insert(DeliveryKey(platform: platform, id: deliveryID))
                }
            }
            // A delivery listed twice is applied by its first occurrence.
            let outcomes = events.map { event in
                new.remove(DeliveryKey(platform: event.platform, id: event.deliveryID)) != nil ? ApplyOutcome.applied : .alreadyApplied
            }
            // 2. The new deliveries' updates, in order.
            var rows: [(event: ContentApplication, update: ContentUpdate)] = []
            for (event, outcome) in zip(events, outcomes) where outcome == .applied {
                for update in event.updates { rows.append((event, update)) }
            }
            for run in Self.runsWithoutRepeatedContent(rows.map { DeliveryKey(platform: $0.event.platform, id: $0.update.contentID) }) {
                for chunk in Self.chunks(run, size: Self.rowsPerStatement) {
                    try await connection.query(Self.upsert(rows[chunk], now: now), logger: logger)
                }
            }
            return outcomes
        }
    }

    /// A platform and an id (of a delivery, or of content).
    struct DeliveryKey: Hashable {
        var platform: String
        var id: String
    }

    /// `0..<count` cut into consecutive ranges in which no key repeats.
    static func runsWithoutRepeatedContent(_ keys: [DeliveryKey]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var start = 0
        var seen = Set<DeliveryKey>()
        for (index, key) in keys.enumerated() where !seen.insert(key).inserted {
            runs.append(start..<index)
            start = index
            seen = [key]
        }
        if start < keys.count { runs.append(start..<keys.count) }
        return runs
    }

    static func chunks(_ range: Range<Int>, size: Int) -> [Range<Int>] {
        stride(from: range.lowerBound, to: range.upperBound, by: size).map { $0..<min($0 + size, range.upperBound) }
    }

    /// One multi-row upsert: insert, or update only when the event is not older than the one that made the row.
    static func upsert(_ rows: ArraySlice<(event: ContentApplication, update: ContentUpdate)>, now: Int64) -> PostgresQuery {
        var sql = """
            INSERT INTO content (platform, content_id, title, content_type, status, attributes, first_seen_at,
                                 updated_at, event_time, last_event_id, last_event_type)
            VALUES
            """
        var binds = PostgresBindings(capacity: rows.count * 11)
        for (row, (event, update)) in rows.enumerated() {
            let first = row * 11
            sql += row == 0 ? " " : ", "
            sql += "(" + (1...11).map { "$\(first + $0)" }.joined(separator: ", ") + ")"
            binds.append(event.platform)
            binds.append(update.contentID)
            binds.append(update.title)
            binds.append(update.contentType)
            binds.append(update.action == .remove ? ContentRecord.Status.removed.rawValue : ContentRecord.Status.active.rawValue)
            binds.append(update.attributes.map { String(decoding: CanonicalJSON.encode(.object($0)), as: UTF8.self) })
            binds.append(now)
            binds.append(now)
            binds.append(event.eventTime)
            binds.append(event.eventID)
            binds.append(event.eventType)
        }
        sql += """

            ON CONFLICT (platform, content_id) DO UPDATE SET
                title = COALESCE(excluded.title, content.title),
                content_type = COALESCE(excluded.content_type, content.content_type),
                status = excluded.status,
                attributes = COALESCE(excluded.attributes, content.attributes),
                updated_at = excluded.updated_at,
                event_time = excluded.event_time,
                last_event_id = excluded.last_event_id,
                last_event_type = excluded.last_event_type
            WHERE excluded.event_time >= content.event_time
            """
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    public func content(platform: String, contentID: String) async throws(ContentStoreError) -> ContentRecord? {
        try await self.connection { connection, logger in
            let rows = try await connection.query(
                """
                SELECT platform, content_id, title, content_type, status, attributes, first_seen_at, updated_at, event_time,
                       last_event_id, last_event_type
                FROM content WHERE platform = \(platform) AND content_id = \(contentID)
                """, logger: logger)
            for try await row in rows.decode((String, String, String?, String?, String, String?, Int64, Int64, Int64, String, String).self) {
                return ContentRecord(
                    platform: row.0, contentID: row.1, title: row.2, contentType: row.3,
                    status: ContentRecord.Status(rawValue: row.4) ?? .active,
                    attributes: row.5.flatMap { try? JSONParser.parse(Array($0.utf8)) },
                    firstSeenAt: row.6, updatedAt: row.7, eventTime: row.8, lastEventID: row.9, lastEventType: row.10)
            }
            return nil
        }
    }

    @discardableResult
    public func pruneAppliedEvents(olderThanMilliseconds cutoff: Int64, platforms: [String]) async throws(ContentStoreError) -> Int {
        try await self.connection { connection, logger in
            var deleted = 0
            for platform in platforms {
                // Entry ids are `<ms>-<seq>` with ms of 13 digits until the year 2286: ordered as bytes.
                let rows = try await connection.query(
                    """
                    WITH gone AS (
                        DELETE FROM applied_events WHERE platform = \(platform) AND delivery_id < \("\(cutoff)-0") AND applied_at < \(cutoff)
                        RETURNING 1)
                    SELECT count(*) FROM gone
                    """, logger: logger)
                for try await count in rows.decode(Int64.self) { deleted += Int(count) }
            }
            return deleted
        }
    }

    public func applications(platform: String) async throws(ContentStoreError) -> [String: Int] {
        try await self.connection { connection, logger in
            var result: [String: Int] = [:]
            let rows = try await connection.query(
                "SELECT delivery_id, applications FROM applied_events WHERE platform = \(platform)", logger: logger)
            for try await (deliveryID, applications) in rows.decode((String, Int).self) { result[deliveryID] = applications }
            return result
        }
    }

    public func appliedEventCount(platform: String) async throws(ContentStoreError) -> Int {
        try await self.connection { connection, logger in
            var count = 0
            for try await value in try await connection.query(
                "SELECT count(*) FROM applied_events WHERE platform = \(platform)", logger: logger
            ).decode(Int64.self) {
                count = Int(value)
            }
            return count
        }
    }

    public func wasApplied(platform: String, eventID: String) async throws(ContentStoreError) -> Bool {
        try await self.connection { connection, logger in
            let rows = try await connection.query(
                "SELECT 1 FROM applied_events WHERE platform = \(platform) AND event_id = \(eventID) LIMIT 1", logger: logger)
            for try await _ in rows.decode(Int32.self) { return true }
            return false
        }
    }

    // MARK: Connections and errors

    private func connection<T: Sendable>(
        _ body: (PostgresConnection, Logger) async throws -> T
    ) async throws(ContentStoreError) -> T {
        do {
            return try await self.client.withConnection { connection in try await body(connection, self.logger) }
        } catch {
            throw Self.classify(error)
        }
    }

    private func transaction<T: Sendable>(
        _ body: (PostgresConnection, Logger) async throws -> T
    ) async throws(ContentStoreError) -> T {
        do {
            return try await self.client.withTransaction(logger: self.logger) { connection in try await body(connection, self.logger) }
        } catch {
            throw Self.classify(error)
        }
    }

    /// What an error means for the caller. The server's SQLSTATE classes for the data itself (22 data exception, 23
    /// integrity, 54 limit exceeded) are refusals; those for this process's credentials, database or rights (28, 3D,
    /// 42501) and a TLS or authentication method the client cannot do are misconfigurations; everything else
    /// (connection lost, server starting or shutting down, out of resources, serialisation failures and deadlocks,
    /// an open circuit while the pool cannot connect) is an outage. Messages carry the server's words, never the
    /// statement's values (the server's detail field, which may quote them, is left out).
    static func classify(_ error: any Error) -> ContentStoreError {
        if let error = error as? ContentStoreError { return error }
        if let error = error as? PostgresTransactionError {
            // BEGIN, the statements or COMMIT (whose outcome is then unknown: applying again is harmless).
            guard let cause = error.beginError ?? error.closureError ?? error.commitError else { return .unavailable("transaction failed") }
            return Self.classify(cause)
        }
        guard let error = error as? PSQLError else { return .unavailable(String(describing: error)) }
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? "?????"
            let text = "\(error.serverInfo?[.message] ?? "server error") (SQLSTATE \(state))"
            if state.hasPrefix("22") || state.hasPrefix("23") || state.hasPrefix("54") { return .refused(text) }
            if state.hasPrefix("28") || state.hasPrefix("3D") || state == "42501" { return .misconfigured(text) }
            return .unavailable(text)
        case .sslUnsupported, .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
            return .misconfigured("\(error.code)")
        default:
            return .unavailable(error.underlying.map { "\(error.code): \($0)" } ?? "\(error.code)")
        }
    }
}
