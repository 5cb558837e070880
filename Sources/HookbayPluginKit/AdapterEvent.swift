import HookbayJSON

/// An event as the host hands it to an adapter: verified, deduplicated, with its canonical type.
public struct AdapterEvent: Sendable, Equatable {
    public var platform: String
    /// `content_added`, `content_updated` or `content_removed`.
    public var eventType: String
    /// The platform's own event name.
    public var sourceEventType: String
    public var eventID: String
    /// Unix milliseconds when Hookbay accepted it.
    public var receivedAt: Int64
    /// The envelope's `timestamp`, as sent.
    public var timestamp: String
    /// The `payload` object.
    public var payload: JSONValue

    public init(
        platform: String, eventType: String, sourceEventType: String, eventID: String, receivedAt: Int64,
        timestamp: String, payload: JSONValue
    ) {
        self.platform = platform
        self.eventType = eventType
        self.sourceEventType = sourceEventType
        self.eventID = eventID
        self.receivedAt = receivedAt
        self.timestamp = timestamp
        self.payload = payload
    }

    /// The ABI's event JSON, canonical (the same bytes as `CanonicalJSON.encode(json)`), written field by field.
    /// - Parameter payloadJSON: the payload's canonical JSON when the caller has it already (the receive path
    ///   computed it for the event id); it is spliced in instead of encoding the payload again.
    public func encoded(payloadJSON: [UInt8]? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(192 + (payloadJSON?.count ?? 256))
        func key(_ name: StaticString) {
            out.append(out.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
            out.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: "\":".utf8)
        }
        // Keys in canonical (UTF-8 byte) order.
        key("event_id")
        CanonicalJSON.writeString(eventID, into: &out)
        key("event_type")
        CanonicalJSON.writeString(eventType, into: &out)
        key("payload")
        if let payloadJSON { out.append(contentsOf: payloadJSON) } else { CanonicalJSON.write(payload, into: &out) }
        key("platform")
        CanonicalJSON.writeString(platform, into: &out)
        key("received_at")
        out.append(contentsOf: String(receivedAt).utf8)
        key("source_event_type")
        CanonicalJSON.writeString(sourceEventType, into: &out)
        key("timestamp")
        CanonicalJSON.writeString(timestamp, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The event as the ABI's event JSON.
    public var json: JSONValue {
        .object([
            "platform": .string(platform),
            "event_type": .string(eventType),
            "source_event_type": .string(sourceEventType),
            "event_id": .string(eventID),
            "received_at": .number(String(receivedAt)),
            "timestamp": .string(timestamp),
            "payload": payload,
        ])
    }

    /// Reads the ABI's event JSON.
    public init(json: JSONValue) throws(AdapterError) {
        func string(_ key: String) throws(AdapterError) -> String {
            guard case .string(let s) = json[key] else { throw .invalid("event field '\(key)' must be a string") }
            return s
        }
        guard case .number(let received) = json["received_at"], let receivedAt = Int64(received) else {
            throw .invalid("event field 'received_at' must be an integer")
        }
        guard let payload = json["payload"], case .object = payload else {
            throw .invalid("event field 'payload' must be an object")
        }
        self.init(
            platform: try string("platform"), eventType: try string("event_type"),
            sourceEventType: try string("source_event_type"), eventID: try string("event_id"),
            receivedAt: receivedAt, timestamp: try string("timestamp"), payload: payload
        )
    }
}
