import Foundation
import GRDB
import HookbayPluginKit
import Logging
import Synchronization

/// The content database in a SQLite file, through GRDB, with migrations: the zero-set-up default. The semantics are
/// the protocol's (``ContentStore``). All database work runs on GRDB's own queues, never on an event loop.
///
/// Commits go to SQLite's write-ahead log; copying the log into the database file (a checkpoint) is done beside the
/// writer, on a connection of its own, after every ``checkpointEvery`` events applied. Left to the writer (SQLite's
/// default, every 1,000 pages), checkpoints took over a third of its time: events are keyed by a hash, so nearly every
/// event dirties a page of its own, and the writer is the one thing the workers cannot share (docs/performance.md has
/// the drain rates with and without). The writer still checkpoints when the log passes
/// ``writerCheckpointPages`` (a backstop, should the checkpointer fall behind), which then finds little left to copy.
public final class SQLiteContentStore: ContentStore {
    /// Events applied between two checkpoints beside the writer.
    static let checkpointEvery = 2_000
    /// Log pages (4 KiB each) after which the writer checkpoints itself.
    static let writerCheckpointPages = 25_000

    private let pool: DatabasePool
    /// The connection that checkpoints, and whether a checkpoint is scheduled on it; events applied since the last.
    private let checkpointer: DatabaseQueue
    private let checkpointScheduled = Atomic<Bool>(false)
    private let appliedSinceCheckpoint = Atomic<Int>(0)

    /// Opens (creating if needed) the database at `path` and migrates it.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.writerCheckpointPages)")
        }
        self.pool = try DatabasePool(path: path, configuration: configuration)
        // Processes that open a new database at once (a gateway and its workers) race to migrate it: the loser's
        // migration fails on the winner's rows, and its next try finds them applied.
        for attempt in 1... {
            do {
                try Self.migrator.migrate(self.pool)
                break
            } catch  where attempt < 10 {
                usleep(UInt32(20_000 * attempt))
            }
        }
        var checkpointing = Configuration()
        checkpointing.busyMode = .timeout(10)
        self.checkpointer = try DatabaseQueue(path: path, configuration: checkpointing)
    }

    /// The schema is migrated when the file is opened: nothing left to do.
    public func prepare(timeout: Duration, logger: Logger) async throws(ContentStoreError) {}

    private func write<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws(ContentStoreError) -> T {
        do {
            return try await self.pool.write(updates)
        } catch {
            throw Self.classify(error)
        }
    }

    private func read<T: Sendable>(_ value: @Sendable (Database) throws -> T) async throws(ContentStoreError) -> T {
        do {
            return try await self.pool.read(value)
        } catch {
            throw Self.classify(error)
        }
    }

    /// A refusal for what the data itself causes (a constraint, a value too big or of the wrong type); anything else
    /// (busy, locked, disk full, I/O, a read-only or damaged file) is an outage the same call may get past later.
    static func classify(_ error: any Error) -> ContentStoreError {
        guard let error = error as? DatabaseError else { return .unavailable("\(error)") }
        switch error.resultCode {
        case .SQLITE_CONSTRAINT, .SQLITE_MISMATCH, .SQLITE_TOOBIG, .SQLITE_RANGE:
            return .refused(error.message ?? error.description)
        default:
            return .unavailable(error.description)
        }
    }

    /// Copies the log into the database file on the checkpointer's connection, once ``checkpointEvery`` events have
    /// been applied since the last time. A passive checkpoint: it never waits for the writer nor holds it up (a page
    /// the writer is changing waits for the next one), and a failed one leaves the log for the next (or the writer's).
    private func checkpointIfDue(applied: Int) {
        guard self.appliedSinceCheckpoint.add(applied, ordering: .relaxed).newValue >= Self.checkpointEvery,
            !self.checkpointScheduled.exchange(true, ordering: .acquiringAndReleasing)
        else { return }
        self.appliedSinceCheckpoint.store(0, ordering: .relaxed)
        self.checkpointer.asyncWriteWithoutTransaction { db in
            _ = try? db.checkpoint(.passive)
            self.checkpointScheduled.store(false, ordering: .releasing)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: content and applied events") { db in
            try db.execute(
                sql: """
                    CREATE TABLE content (
                        platform TEXT NOT NULL,
                        content_id TEXT NOT NULL,
                        title TEXT,
                        content_type TEXT,
                        status TEXT NOT NULL CHECK (status IN ('active', 'removed')),
                        attributes TEXT,
                        first_seen_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        event_time INTEGER NOT NULL,
                        last_event_id TEXT NOT NULL,
                        last_event_type TEXT NOT NULL,
                        PRIMARY KEY (platform, content_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE applied_events (
                        platform TEXT NOT NULL,
                        event_id TEXT NOT NULL,
                        applied_at INTEGER NOT NULL,
                        updates INTEGER NOT NULL,
                        PRIMARY KEY (platform, event_id)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2: applied events keyed by the accepted delivery") { db in
            // Rows keyed by the content hash cannot be mapped to deliveries; an entry pending across the upgrade is
            // applied again, which its event time makes harmless.
            try db.execute(
                sql: """
                    DROP TABLE applied_events;
                    CREATE TABLE applied_events (
                        platform TEXT NOT NULL,
                        delivery_id TEXT NOT NULL,
                        event_id TEXT NOT NULL,
                        applied_at INTEGER NOT NULL,
                        updates INTEGER NOT NULL,
                        applications INTEGER NOT NULL,
                        PRIMARY KEY (platform, delivery_id)
                    ) WITHOUT ROWID;
                    """)
        }
        return migrator
    }

    /// Applies several events in one transaction (all or none), each once; the outcomes in the same order.
    public func apply(_ events: [ContentApplication]) async throws(ContentStoreError) -> [ApplyOutcome] {
        try ContentApplication.requireStorable(events)
        let now = WallClock.milliseconds()
        defer { self.checkpointIfDue(applied: events.count) }
        return try await self.write { db in
            var outcomes: [ApplyOutcome] = []
            outcomes.reserveCapacity(events.count)
            let seen = try db.cachedStatement(sql: "SELECT 1 FROM applied_events WHERE platform = ? AND delivery_id = ?")
            // Counts every write of a delivery's updates: a second one (idempotency broken) shows as applications 2.
            let record = try db.cachedStatement(
                sql: """
                    INSERT INTO applied_events (platform, delivery_id, event_id, applied_at, updates, applications) VALUES (?, ?, ?, ?, ?, 1)
                    ON CONFLICT (platform, delivery_id) DO UPDATE SET applications = applications + 1
                    """)
            let upsert = try db.cachedStatement(sql: ContentApplication.upsertSQL(rows: 1, placeholder: { _ in "?" }))
            for event in events {
                guard try Bool.fetchOne(seen, arguments: [event.platform, event.deliveryID]) == nil else {
                    outcomes.append(.alreadyApplied)
                    continue
                }
                try record.execute(arguments: [event.platform, event.deliveryID, event.eventID, now, event.updates.count])
                for update in event.updates {
                    try upsert.execute(arguments: [
                        event.platform, update.contentID, update.title, update.contentType, update.storedStatus,
                        update.storedAttributes, now, now, event.eventTime, event.eventID, event.eventType,
                    ])
                }
                outcomes.append(.applied)
            }
            return outcomes
        }
    }

    /// The row for one piece of content.
    public func content(platform: String, contentID: String) async throws(ContentStoreError) -> ContentRecord? {
        try await self.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM content WHERE platform = ? AND content_id = ?",
                    arguments: [platform, contentID])
            else { return nil }
            return ContentRecord(
                platform: row["platform"], contentID: row["content_id"], title: row["title"], contentType: row["content_type"],
                status: ContentRecord.status(stored: row["status"]), attributes: ContentRecord.attributes(stored: row["attributes"]),
                firstSeenAt: row["first_seen_at"], updatedAt: row["updated_at"], eventTime: row["event_time"],
                lastEventID: row["last_event_id"], lastEventType: row["last_event_type"]
            )
        }
    }

    /// Deletes the `applied_events` rows of `platforms` recorded before `cutoff` (Unix ms); returns how many. Delivery
    /// ids are queue entry ids, which begin with their acceptance time in ms, so the deletion is a range of the
    /// primary key.
    @discardableResult
    public func pruneAppliedEvents(olderThanMilliseconds cutoff: Int64, platforms: [String]) async throws(ContentStoreError) -> Int {
        try await self.write { db in
            var deleted = 0
            let statement = try db.cachedStatement(sql: "DELETE FROM applied_events WHERE platform = ? AND delivery_id < ? AND applied_at < ?")
            for platform in platforms {
                // Entry ids are `<ms>-<seq>` with ms of 13 digits until the year 2286: ordered as text.
                try statement.execute(arguments: [platform, "\(cutoff)-0", cutoff])
                deleted += db.changesCount
            }
            return deleted
        }
    }

    /// The number of times the updates of each of `platform`'s applied deliveries were written, by delivery id (each
    /// should be 1).
    public func applications(platform: String) async throws(ContentStoreError) -> [String: Int] {
        try await self.read { db in
            var result: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT delivery_id, applications FROM applied_events WHERE platform = ?", arguments: [platform]) {
                result[row["delivery_id"]] = row["applications"]
            }
            return result
        }
    }

    /// How many deliveries of `platform` were applied (each once).
    public func appliedEventCount(platform: String) async throws(ContentStoreError) -> Int {
        try await self.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM applied_events WHERE platform = ?", arguments: [platform]) ?? 0
        }
    }

    /// Whether any delivery of `eventID` of `platform` was applied.
    public func wasApplied(platform: String, eventID: String) async throws(ContentStoreError) -> Bool {
        try await self.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM applied_events WHERE platform = ? AND event_id = ?", arguments: [platform, eventID]) ?? false
        }
    }
}
