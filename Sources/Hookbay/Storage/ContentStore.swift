import Foundation
import GRDB
import Synchronization
import HookbayJSON
import HookbayPluginKit

/// The content database: SQLite through GRDB, with migrations.
///
/// Applying an event is idempotent and ordered: the event id is recorded in `applied_events` in the same transaction
/// as its updates, so a redelivered event changes nothing; and an update carrying an older event time than the row's
/// never overwrites it. All database work runs on GRDB's own queues, never on an event loop.
///
/// Commits go to SQLite's write-ahead log; copying the log into the database file (a checkpoint) is done beside the
/// writer, on a connection of its own, after every ``checkpointEvery`` events applied. Left to the writer (SQLite's
/// default, every 1,000 pages), checkpoints took over a third of its time: events are keyed by a hash, so nearly every
/// event dirties a page of its own, and the writer is the one thing the workers cannot share (drain A/B: ~23k/s with
/// the writer checkpointing, ~36k/s without). The writer still checkpoints when the log passes
/// ``writerCheckpointPages`` (a backstop, should the checkpointer fall behind), which then finds little left to copy.
public final class ContentStore: Sendable {
    /// Events applied between two checkpoints beside the writer.
    static let checkpointEvery = 2_000
    /// Log pages (4 KiB each) after which the writer checkpoints itself.
    static let writerCheckpointPages = 25_000

    /// What applying an event did.
    public enum ApplyOutcome: Sendable, Equatable {
        case applied
        /// This event id was applied before: nothing changed.
        case alreadyApplied
    }

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
        try Self.migrator.migrate(self.pool)
        var checkpointing = Configuration()
        checkpointing.busyMode = .timeout(10)
        self.checkpointer = try DatabaseQueue(path: path, configuration: checkpointing)
    }

    /// Copies the log into the database file on the checkpointer's connection, once ``checkpointEvery`` events have
    /// been applied since the last time. A passive checkpoint: it never waits for the writer nor holds it up (a page
    /// the writer is changing waits for the next one), and a failed one leaves the log for the next (or the writer's).
    private func checkpointIfDue(applied: Int) {
        guard self.appliedSinceCheckpoint.add(applied, ordering: .relaxed).newValue >= Self.checkpointEvery,
              !self.checkpointScheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.appliedSinceCheckpoint.store(0, ordering: .relaxed)
        self.checkpointer.asyncWriteWithoutTransaction { db in
            _ = try? db.checkpoint(.passive)
            self.checkpointScheduled.store(false, ordering: .releasing)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: content and applied events") { db in
            try db.execute(sql: """
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
        return migrator
    }

    /// One event's updates, to apply.
    public struct Application: Sendable {
        public var platform: String
        public var eventID: String
        public var eventType: String
        /// Unix ms that orders this event against others for the same content.
        public var eventTime: Int64
        public var updates: [ContentUpdate]

        public init(platform: String, eventID: String, eventType: String, eventTime: Int64, updates: [ContentUpdate]) {
            self.platform = platform
            self.eventID = eventID
            self.eventType = eventType
            self.eventTime = eventTime
            self.updates = updates
        }
    }

    /// Applies `updates` derived from one event, once.
    /// - Parameters:
    ///   - eventTime: Unix ms that orders this event against others for the same content.
    public func apply(platform: String, eventID: String, eventType: String, eventTime: Int64,
                      updates: [ContentUpdate]) async throws -> ApplyOutcome {
        try await self.apply([Application(platform: platform, eventID: eventID, eventType: eventType, eventTime: eventTime, updates: updates)])[0]
    }

    /// Applies several events in one transaction (all or none), each once; the outcomes in the same order.
    public func apply(_ events: [Application]) async throws -> [ApplyOutcome] {
        let now = WallClock.milliseconds()
        defer { self.checkpointIfDue(applied: events.count) }
        return try await self.pool.write { db in
            var outcomes: [ApplyOutcome] = []
            outcomes.reserveCapacity(events.count)
            let record = try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO applied_events (platform, event_id, applied_at, updates) VALUES (?, ?, ?, ?)")
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO content (platform, content_id, title, content_type, status, attributes, first_seen_at,
                                     updated_at, event_time, last_event_id, last_event_type)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
                """)
            for event in events {
                try record.execute(arguments: [event.platform, event.eventID, now, event.updates.count])
                guard db.changesCount == 1 else {
                    outcomes.append(.alreadyApplied)
                    continue
                }
                for update in event.updates {
                    let attributes = update.attributes.map { String(decoding: CanonicalJSON.encode(.object($0)), as: UTF8.self) }
                    let status = update.action == .remove ? ContentRecord.Status.removed : .active
                    // Insert, or update only when this event is not older than the one that made the row.
                    try upsert.execute(arguments: [event.platform, update.contentID, update.title, update.contentType, status.rawValue,
                                                   attributes, now, now, event.eventTime, event.eventID, event.eventType])
                }
                outcomes.append(.applied)
            }
            return outcomes
        }
    }

    /// The row for one piece of content.
    public func content(platform: String, contentID: String) async throws -> ContentRecord? {
        try await self.pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM content WHERE platform = ? AND content_id = ?",
                                             arguments: [platform, contentID]) else { return nil }
            let attributesText: String? = row["attributes"]
            return ContentRecord(
                platform: row["platform"], contentID: row["content_id"], title: row["title"], contentType: row["content_type"],
                status: ContentRecord.Status(rawValue: row["status"]) ?? .active,
                attributes: attributesText.flatMap { try? JSONParser.parse(Array($0.utf8)) },
                firstSeenAt: row["first_seen_at"], updatedAt: row["updated_at"], eventTime: row["event_time"],
                lastEventID: row["last_event_id"], lastEventType: row["last_event_type"]
            )
        }
    }

    /// How many events of `platform` were applied (each once).
    public func appliedEventCount(platform: String) async throws -> Int {
        try await self.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM applied_events WHERE platform = ?", arguments: [platform]) ?? 0
        }
    }

    /// Whether `eventID` of `platform` was applied.
    public func wasApplied(platform: String, eventID: String) async throws -> Bool {
        try await self.pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM applied_events WHERE platform = ? AND event_id = ?", arguments: [platform, eventID]) ?? false
        }
    }
}
