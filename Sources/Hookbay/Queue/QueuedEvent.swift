import NIOCore

/// An accepted event as it is written to its platform's stream.
///
/// Fields of the stream entry: `event_id`, `platform`, `event_type` (canonical), `source_event_type` (the
/// platform's own name), `received_at` (Unix milliseconds), `payload_pointer` (where the payload is in the body),
/// `timestamp` (the delivery's, as sent) and `envelope` (the request body as received).
public struct QueuedEvent: Sendable, Equatable {
    public var eventID: String
    public var platform: String
    public var eventType: CanonicalEventType
    public var sourceEventType: String
    public var receivedAtMilliseconds: Int64
    /// The raw body, byte for byte: it is valid JSON, so it is stored without re-encoding.
    public var envelope: ByteBuffer
    /// JSON pointer to the payload inside `envelope` (`/payload` for the seed's envelope).
    public var payloadPointer: String
    /// The delivery's timestamp as sent (may be empty).
    public var timestamp: String
    /// The platform's `rate_limit.scope: global` bucket, when the queue keeps it (``WebhookQueue/sharesRateLimits``):
    /// a token is taken from it in the same step as the enqueue, and without one nothing is queued. Not stored.
    public var sharedRateLimit: PlatformConfig.RateLimit?
    /// Bytes of the process-wide receive budget the event's (inflated) body holds until its delivery is answered;
    /// not stored.
    public var reservedBytes = 0

    public init(
        eventID: String, platform: String, eventType: CanonicalEventType, sourceEventType: String,
        receivedAtMilliseconds: Int64, envelope: ByteBuffer, payloadPointer: String = "/payload", timestamp: String = ""
    ) {
        self.payloadPointer = payloadPointer
        self.timestamp = timestamp
        self.eventID = eventID
        self.platform = platform
        self.eventType = eventType
        self.sourceEventType = sourceEventType
        self.receivedAtMilliseconds = receivedAtMilliseconds
        self.envelope = envelope
    }

    /// The stream entry's field/value pairs, in order.
    public var fields: [(String, ByteBuffer)] {
        [
            ("event_id", ByteBuffer(string: eventID)),
            ("platform", ByteBuffer(string: platform)),
            ("event_type", ByteBuffer(string: eventType.rawValue)),
            ("source_event_type", ByteBuffer(string: sourceEventType)),
            ("received_at", ByteBuffer(string: String(receivedAtMilliseconds))),
            ("payload_pointer", ByteBuffer(string: payloadPointer)),
            ("timestamp", ByteBuffer(string: timestamp)),
            ("envelope", envelope),
        ]
    }
}
