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
    /// A small pool of its own for the content API's reads (`GET /api/v1/content/...`, open to anyone who can reach
    /// the gateway): a flood of them queues here, never ahead of the workers' batches.
    private let reader: PostgresClient
    /// Connections of ``reader``.
    static let readerConnections = 2
    /// The same server settings, for the migrations' own connection.
    private let connectionConfiguration: PostgresConnection.Configuration
    private let logger: Logger
    private let prepared = Atomic<Bool>(false)
    private let preparation = AsyncLane()

    /// Server-side bounds on every session, so that a lock held elsewhere or a stalled statement fails (and the
    /// events wait in the queue) instead of holding a worker and its open transaction for ever.
    static let sessionLimits: [(String, String)] = [
        ("statement_timeout", "30000"), ("lock_timeout", "10000"), ("idle_in_transaction_session_timeout", "60000"),
    ]

    /// A store on `location`, with at most `poolSize` connections; nothing connects before ``run()``. Throws when
    /// the TLS context `sslmode` asks for cannot be made.
    public init(location: PostgresLocation, poolSize: Int, logger: Logger) throws {
        let tls = location.tls.configuration
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: tls.map { location.tls == .prefer ? .prefer($0) : .require($0) } ?? .disable)
        configuration.options.maximumConnections = max(1, poolSize)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = Self.sessionLimits
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        configuration.options.maximumConnections = Self.readerConnections
        self.reader = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let context = try tls.map { try NIOSSLContext(configuration: $0) }
        var connectionConfiguration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: context.map { location.tls == .prefer ? .prefer($0) : .require($0) } ?? .disable)
        connectionConfiguration.options.connectTimeout = .seconds(5)
        connectionConfiguration.options.additionalStartupParameters = Self.sessionLimits
        self.connectionConfiguration = connectionConfiguration
        var logger = logger
        logger[metadataKey: "database"] = .string(location.displayAddress)
        self.logger = logger
    }

    /// Runs the connection pools until graceful shutdown.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            group.addTask { await self.reader.run() }
        }
    }

    /// Migrates once per process: the process's workers call it together, and take turns (the first does the work).
    public func prepare(timeout: Duration, logger: Logger) async throws(ContentStoreError) {
        try await self.preparation.run { () async throws(ContentStoreError) in
            guard !self.prepared.load(ordering: .acquiring) else { return }
            let deadline = ContinuousClock.now + timeout
            var attempt = 0
            while true {
                do throws(ContentStoreError) {
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
                } catch .unavailable(let reason) {
                    throw .unavailable(reason)
                } catch {
                    // Anything but an outage, while creating the schema, is this deployment's to fix.
                    throw .misconfigured(error.reason)
                }
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
        // Text is UTF-8 everywhere else: a database in another encoding would refuse characters SQLite keeps.
        for try await encoding in try await connection.query("SHOW server_encoding", logger: logger).decode(String.self)
        where encoding.uppercased() != "UTF8" {
            throw ContentStoreError.misconfigured("the database's encoding is \(encoding), not UTF8 (CREATE DATABASE ... ENCODING 'UTF8')")
        }
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

    /// A platform and an id (of a delivery, or of content), compared byte by byte as PostgreSQL compares them (Swift's
    /// `String` equality would merge canonically equivalent ids the server keeps apart).
    struct DeliveryKey: Hashable {
        var platform: [UInt8]
        var id: [UInt8]

        init(platform: String, id: String) {
            self.platform = Array(platform.utf8)
            self.id = Array(id.utf8)
        }
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
        var binds = PostgresBindings(capacity: rows.count * 11)
        for (event, update) in rows {
            binds.append(event.platform)
            binds.append(update.contentID)
            binds.append(update.title)
            binds.append(update.contentType)
            binds.append(update.storedStatus)
            binds.append(update.storedAttributes)
            binds.append(now)
            binds.append(now)
            binds.append(event.eventTime)
            binds.append(event.eventID)
            binds.append(event.eventType)
        }
        return PostgresQuery(unsafeSQL: ContentApplication.upsertSQL(rows: rows.count, placeholder: { "$\($0)" }), binds: binds)
    }

    public func content(platform: String, contentID: String) async throws(ContentStoreError) -> ContentRecord? {
        try await self.connection(reading: true) { connection, logger in
            let rows = try await connection.query(
                """
                SELECT platform, content_id, title, content_type, status, attributes, first_seen_at, updated_at, event_time,
                       last_event_id, last_event_type
                FROM content WHERE platform = \(platform) AND content_id = \(contentID)
                """, logger: logger)
            for try await row in rows.decode((String, String, String?, String?, String, String?, Int64, Int64, Int64, String, String).self) {
                return ContentRecord(
                    platform: row.0, contentID: row.1, title: row.2, contentType: row.3,
                    status: ContentRecord.status(stored: row.4), attributes: ContentRecord.attributes(stored: row.5),
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

    /// A connection of the workers' pool, or with `reading` of the content API's.
    private func connection<T: Sendable>(
        reading: Bool = false, _ body: (PostgresConnection, Logger) async throws -> T
    ) async throws(ContentStoreError) -> T {
        do {
            return try await (reading ? self.reader : self.client).withConnection { connection in try await body(connection, self.logger) }
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

    /// What an error means for the caller, by the server's SQLSTATE class. The data itself (22 data exception, 23
    /// integrity, 54 limit exceeded): a refusal. This process's credentials, database or rights (28, 3D, 42501), or a
    /// TLS or authentication method it cannot do: a misconfiguration. Only the transient classes are an outage:
    /// connection (08), rollback (40: serialisation failures, deadlocks), resources (53), operator intervention (57:
    /// shutdown, restart, a cancelled statement), lock not available (55P03), read-only transaction (25006, a replica
    /// after failover), system I/O (58), and anything before the server answered (no connection, a lost one, an open
    /// circuit while the pool cannot connect). Any other server error is ``ContentStoreError/failed(_:)``: retried
    /// with the platform's policy, then dead-lettered. Messages carry the server's words, never the statement's values
    /// (the server's detail field, which may quote them, is left out).
    static func classify(_ error: any Error) -> ContentStoreError {
        if let error = error as? ContentStoreError { return error }
        if let error = error as? PostgresTransactionError {
            // BEGIN, the statements or COMMIT (whose outcome is then unknown: applying again is harmless).
            guard let cause = error.beginError ?? error.closureError ?? error.commitError else { return .unavailable("transaction failed") }
            return Self.classify(cause)
        }
        if error is NIOSSLError { return .misconfigured("TLS: \(error)") }
        guard let error = error as? PSQLError else { return .unavailable(String(describing: error)) }
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? "?????"
            let text = "\(error.serverInfo?[.message] ?? "server error") (SQLSTATE \(state))"
            let transient = ["08", "40", "53", "57", "58"].contains(String(state.prefix(2))) || ["55P03", "25006"].contains(state)
            if transient { return .unavailable(text) }
            if ["22", "23", "54"].contains(String(state.prefix(2))) { return .refused(text) }
            if ["28", "3D"].contains(String(state.prefix(2))) || state == "42501" { return .misconfigured(text) }
            return .failed(text)
        case .sslUnsupported, .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest, .unsupportedAuthMechanism,
            .authMechanismRequiresPassword, .saslError:
            return .misconfigured(error.underlying.map { "\(error.code): \($0)" } ?? "\(error.code)")
        default:
            if let underlying = error.underlying, underlying is NIOSSLError { return .misconfigured("TLS: \(underlying)") }
            return .unavailable(error.underlying.map { "\(error.code): \($0)" } ?? "\(error.code)")
        }
    }
}

extension PostgresLocation.TLSMode {
    /// The client's TLS settings for this mode, with libpq's meanings; `nil` for plain TCP.
    var configuration: TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch self {
        case .disable: return nil
        case .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: break
        }
        return configuration
    }
}
