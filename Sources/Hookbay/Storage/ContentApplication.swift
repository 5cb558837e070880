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
    /// Why neither database can keep this event's text as given, or `nil`: a NUL character, which PostgreSQL's text
    /// refuses and SQLite's readers stop at (the value would come back cut short). Attributes are stored as JSON, where
    /// NUL is escaped, so they can hold one.
    var unstorableText: String? {
        let fields = [self.platform, self.deliveryID, self.eventID, self.eventType]
        if fields.contains(where: { $0.utf8.contains(0) }) { return "the event's id or type contains a NUL character" }
        for update in self.updates {
            for (name, value) in [("content_id", update.contentID), ("title", update.title), ("content_type", update.contentType)] {
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
