import Crypto
import HookbayJSON
import HookbayPluginKit
import NIOCore

/// One accepted event on its way to one destination: what its lane entry is made from.
public struct ForwardDelivery: Sendable, Equatable {
    public var platform: String
    public var destination: String
    public var eventID: String
    public var eventType: CanonicalEventType
    /// The canonical event as adapters receive it (`body: envelope`).
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
    public var webhookID: String { Self.webhookID(platform: self.platform, destination: self.destination, eventID: self.eventID) }

    static func webhookID(platform: String, destination: String, eventID: String) -> String {
        var hash = SHA256()
        for part in [platform, destination, eventID] {
            hash.update(data: Array(part.utf8))
            hash.update(data: [0])
        }
        return "msg_" + Hex.encode(Array(hash.finalize().prefix(16)))
    }

    /// The body a destination asking for `shape` receives.
    public func body(_ shape: ForwardDestination.Body) -> [UInt8] {
        switch shape {
        case .envelope: return self.envelope
        case .raw: return self.raw
        case .updates: return self.updates
        }
    }

    /// The deliveries a completed entry makes: one per destination that subscribes to its event type, each with the
    /// body that destination asks for, decided now (a later change of `body:` applies to later events).
    /// - Parameters:
    ///   - entry: the platform's completed stream entry (its `envelope` is the original request body).
    ///   - event: the event its adapter received.
    ///   - updates: what the adapter made of it.
    static func fanOut(
        entry: StreamEntry, event: AdapterEvent, updates: [ContentUpdate], destinations: [ForwardDestination]
    ) -> [FanOut] {
        guard let type = CanonicalEventType(rawValue: event.eventType) else { return [] }
        let subscribed = destinations.filter { $0.subscribes(to: type) }
        guard !subscribed.isEmpty else { return [] }
        let shapes = Set(subscribed.map(\.body))
        let envelope = shapes.contains(.envelope) ? ByteBuffer(bytes: event.encoded()) : ByteBuffer()
        let raw = entry.fields["envelope"] ?? ByteBuffer()
        let updateList = shapes.contains(.updates) ? ByteBuffer(bytes: CanonicalJSON.encode(.array(updates.map(\.json)))) : ByteBuffer()
        return subscribed.map { destination in
            let body: ByteBuffer
            switch destination.body {
            case .envelope: body = envelope
            case .raw: body = raw
            case .updates: body = updateList
            }
            return FanOut(
                sourceID: entry.id, lane: QueueKeys.lane(platform: event.platform, destination: destination.name),
                fields: [
                    (
                        "webhook_id",
                        ByteBuffer(string: Self.webhookID(platform: event.platform, destination: destination.name, eventID: event.eventID))
                    ),
                    ("event_id", ByteBuffer(string: event.eventID)),
                    ("event_type", ByteBuffer(string: event.eventType)),
                    ("platform", ByteBuffer(string: event.platform)),
                    ("destination", ByteBuffer(string: destination.name)),
                    ("received_at", ByteBuffer(string: String(event.receivedAt))),
                    ("body", body),
                ], maxBacklog: destination.maxBacklog)
        }
    }
}
