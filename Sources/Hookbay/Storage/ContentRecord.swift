import HookbayJSON

/// One row of the `content` table: the current state of a piece of content on a platform.
public struct ContentRecord: Sendable, Equatable {
    public enum Status: String, Sendable {
        case active
        case removed
    }

    public var platform: String
    public var contentID: String
    public var title: String?
    public var contentType: String?
    public var status: Status
    /// JSON object of extra fields, or `nil`.
    public var attributes: JSONValue?
    /// Unix milliseconds when the content was first applied.
    public var firstSeenAt: Int64
    /// Unix milliseconds of the last applied change.
    public var updatedAt: Int64
    /// Unix milliseconds of the event that made the current state (its `timestamp`, else when it was received).
    public var eventTime: Int64
    public var lastEventID: String
    public var lastEventType: String

    /// A `status` column's value as stored (``ContentUpdate``'s `storedStatus`); an unknown one reads as active.
    static func status(stored text: String) -> Status { Status(rawValue: text) ?? .active }

    /// An `attributes` column's value as stored (canonical JSON text), or `nil`.
    static func attributes(stored text: String?) -> JSONValue? { text.flatMap { try? JSONParser.parse(Array($0.utf8)) } }

    /// The row as the content API's JSON.
    public var json: JSONValue {
        .object([
            "platform": .string(platform),
            "content_id": .string(contentID),
            "status": .string(status.rawValue),
            "first_seen_at": .number(String(firstSeenAt)),
            "updated_at": .number(String(updatedAt)),
            "event_time": .number(String(eventTime)),
            "last_event_id": .string(lastEventID),
            "last_event_type": .string(lastEventType),
            "title": title.map(JSONValue.string) ?? .null,
            "content_type": contentType.map(JSONValue.string) ?? .null,
            "attributes": attributes ?? .null,
        ])
    }
}
