import HookbayJSON

/// A delivery's body checked against its platform: the seed's envelope
/// `{"event_type", "platform", "timestamp", "payload", ...}`.
public struct WebhookEnvelope: Sendable, Equatable {
    /// The platform's own event name, as sent.
    public var sourceEventType: String
    /// What it maps to.
    public var eventType: CanonicalEventType
    /// The `timestamp` field as sent.
    public var timestamp: String
    /// The `payload` object.
    public var payload: JSONValue

    /// Parses and validates `body` for `platform`; the error message names the offending field.
    public init(body: some Collection<UInt8>, platform: PlatformConfig) throws(WebhookError) {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body)
        } catch {
            throw .invalidPayload("body is not valid JSON: \(error)")
        }
        guard case .object(let fields) = document else {
            throw .invalidPayload("body must be a JSON object with event_type, platform, timestamp and payload")
        }
        func field(_ name: String, _ expected: String) throws(WebhookError) -> JSONValue {
            guard let value = fields[name] else { throw .invalidPayload("missing field '\(name)'") }
            return value
        }
        guard case .string(let sourceType) = try field("event_type", "string") else {
            throw .invalidPayload("field 'event_type' must be a string")
        }
        guard case .string(let bodyPlatform) = try field("platform", "string") else {
            throw .invalidPayload("field 'platform' must be a string")
        }
        guard bodyPlatform == platform.id else {
            throw .invalidPayload("field 'platform' is '\(bodyPlatform)' but the URL names '\(platform.id)'")
        }
        guard case .string(let timestamp) = try field("timestamp", "string") else {
            throw .invalidPayload("field 'timestamp' must be a string")
        }
        let payload = try field("payload", "object")
        guard case .object = payload else {
            throw .invalidPayload("field 'payload' must be an object, not \(payload.typeName)")
        }
        guard let eventType = platform.eventTypes[sourceType] else {
            let known = platform.eventTypes.keys.sorted().joined(separator: ", ")
            throw .invalidPayload("field 'event_type': '\(sourceType)' is not an event type of platform '\(platform.id)' (known: \(known))")
        }
        for path in platform.requiredFields {
            guard let value = payload.value(atPath: path), value != .null else {
                throw .invalidPayload("required field 'payload.\(path)' is missing")
            }
        }
        self.sourceEventType = sourceType
        self.eventType = eventType
        self.timestamp = timestamp
        self.payload = payload
    }
}
