import Crypto

/// One accepted event on its way to one destination: what its queue entry holds.
public struct ForwardDelivery: Sendable, Equatable {
    public var platform: String
    public var destination: String
    public var eventID: String
    public var eventType: CanonicalEventType
    /// The canonical event as queued (`body: envelope`).
    public var envelope: [UInt8]
    /// The platform's original request body (`body: raw`).
    public var raw: [UInt8]
    /// The adapter's content updates as a JSON array (`body: updates`).
    public var updates: [UInt8]

    public init(
        platform: String, destination: String, eventID: String, eventType: CanonicalEventType, envelope: [UInt8], raw: [UInt8],
        updates: [UInt8]
    ) {
        self.platform = platform
        self.destination = destination
        self.eventID = eventID
        self.eventType = eventType
        self.envelope = envelope
        self.raw = raw
        self.updates = updates
    }

    /// The `webhook-id` of every attempt of this delivery: `msg_` and 32 hex digits of a SHA-256 of the platform, the
    /// destination and the event id, so that a receiver de-duplicates retries (and a replay) by it, and two
    /// destinations of one event, or two platforms' events of one id, never share one.
    public var webhookID: String {
        var hash = SHA256()
        for part in [self.platform, self.destination, self.eventID] {
            hash.update(data: Array(part.utf8))
            hash.update(data: [0])
        }
        return "msg_" + Hex.encode(Array(hash.finalize().prefix(16)))
    }
}
