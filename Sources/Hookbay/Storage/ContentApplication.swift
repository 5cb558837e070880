import HookbayJSON
import HookbayPluginKit

/// One event's updates, to apply to a ``ContentStore``.
public struct ContentApplication: Sendable {
    public var platform: String
    /// The accepted delivery: its queue entry id, unique per acceptance.
    public var deliveryID: String
    public var eventID: String
    public var eventType: String
    /// Unix ms that orders this event against others for the same content.
    public var eventTime: Int64
    public var updates: [ContentUpdate]

    public init(platform: String, deliveryID: String, eventID: String, eventType: String, eventTime: Int64, updates: [ContentUpdate]) {
        self.platform = platform
        self.deliveryID = deliveryID
        self.eventID = eventID
        self.eventType = eventType
        self.eventTime = eventTime
        self.updates = updates
    }
}

/// What applying an event did.
public enum ApplyOutcome: Sendable, Equatable {
    case applied
    /// This delivery was applied before: nothing changed.
    case alreadyApplied
}

extension ContentApplication {
    /// The statement that writes `rows` content updates, the same on both databases: insert, or update only when the
    /// event is not older than the one that made the row (a field an update leaves out keeps its value). Each row
    /// binds, in order: platform, content id, title, content type, status, attributes, first seen, updated, event
    /// time, event id, event type; `placeholder(n)` writes the n-th parameter (from 1).
    static func upsertSQL(rows: Int, placeholder: (Int) -> String) -> String {
        let values = (0..<rows).map { row in "(" + (1...11).map { placeholder(row * 11 + $0) }.joined(separator: ", ") + ")" }
        return """
            INSERT INTO content (platform, content_id, title, content_type, status, attributes, first_seen_at,
                                 updated_at, event_time, last_event_id, last_event_type)
            VALUES \(values.joined(separator: ", "))
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
    }

    /// The longest id or type either database keeps, in bytes: PostgreSQL refuses an index entry past about 2.7 KB.
    static let maxIDBytes = 2_000

    /// Why neither database can keep this event's text as given, or `nil`: a NUL character, which PostgreSQL's text
    /// refuses and SQLite's readers stop at (the value would come back cut short), or an id longer than
    /// ``maxIDBytes``. Attributes are stored as JSON, where NUL is escaped, so they can hold one.
    var unstorableText: String? {
        let ids =
            [("platform", self.platform), ("delivery id", self.deliveryID), ("event id", self.eventID), ("event type", self.eventType)]
            + self.updates.map { ("content_id", $0.contentID) }
        for (name, value) in ids where value.utf8.count > Self.maxIDBytes {
            return "the \(name) is \(value.utf8.count) bytes long; the content database keeps ids of at most \(Self.maxIDBytes)"
        }
        if ids.contains(where: { $0.1.utf8.contains(0) }) { return "an id or the event type contains a NUL character" }
        for update in self.updates {
            for (name, value) in [("title", update.title), ("content_type", update.contentType)] {
                if let value, value.utf8.contains(0) {
                    return "the \(name) of content update '\(update.contentID)' contains a NUL character, which the content database cannot store"
                }
            }
        }
        return nil
    }

    /// Refuses a batch holding an event whose text no database can keep (``unstorableText``).
    static func requireStorable(_ events: [ContentApplication]) throws(ContentStoreError) {
        for event in events {
            if let problem = event.unstorableText { throw .refused(problem) }
        }
    }
}

extension ContentUpdate {
    /// The `status` column's value.
    var storedStatus: String { (self.action == .remove ? ContentRecord.Status.removed : .active).rawValue }
    /// The `attributes` column's value: canonical JSON text, or `nil` (the row keeps its attributes).
    var storedAttributes: String? { self.attributes.map { String(decoding: CanonicalJSON.encode(.object($0)), as: UTF8.self) } }
}
