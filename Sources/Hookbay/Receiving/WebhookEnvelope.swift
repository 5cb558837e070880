import HookbayJSON
import HookbayPluginKit

/// A delivery's body checked against its platform: by default the seed's envelope
/// `{"event_type", "platform", "timestamp", "payload", ...}`; or the parts the platform's `envelope:` mapping names,
/// from headers and JSON pointers.
public struct WebhookEnvelope: Sendable, Equatable {
    /// The platform's own event name, as sent.
    public var sourceEventType: String
    /// What it maps to.
    public var eventType: CanonicalEventType
    /// The delivery's timestamp as sent (empty when the mapping names none).
    public var timestamp: String
    /// The payload object: only the part a selection keeps when the envelope was read with one (as the receive path
    /// reads it). Its canonical JSON is read from the body (``CanonicalJSON/encode(valueAt:in:)``), never from this.
    public var payload: JSONValue
    /// Where the payload is in the body.
    public var payloadPointer: String
    /// The platform's own delivery id, when the mapping names one.
    public var deliveryID: String?

    /// Parses and validates `body` for `platform`; the error message names the offending field.
    /// - Parameters:
    ///   - header: looks a request header up by name.
    ///   - selection: what of the body to build (``selection(for:schema:)``); ``payload`` then holds only that. The
    ///     whole body is checked all the same.
    public init(
        body: some Collection<UInt8>, header: (String) -> String? = { _ in nil }, platform: PlatformConfig, keeping selection: JSONSelection? = nil
    ) throws(WebhookError) {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body, keeping: selection)
        } catch {
            throw .invalidPayload("body is not valid JSON: \(error)")
        }
        guard case .object(let fields) = document else {
            throw .invalidPayload(
                platform.envelope == nil
                    ? "body must be a JSON object with event_type, platform, timestamp and payload"
                    : "body must be a JSON object")
        }
        let sourceType: String
        if let mapping = platform.envelope {
            sourceType = try Self.text(mapping.eventType, document, header, name: "event type", required: true)!
            var timestamp = ""
            if let source = mapping.timestamp {
                timestamp = try Self.text(source, document, header, name: "timestamp", required: true) ?? ""
            }
            self.timestamp = timestamp
            var deliveryID: String?
            if let source = mapping.eventID {
                deliveryID = try Self.text(source, document, header, name: "event id", required: true)
            }
            self.deliveryID = deliveryID
            guard let payload = document.value(atPointer: mapping.payload) else {
                throw .invalidPayload("the payload at JSON pointer '\(mapping.payload)' is missing")
            }
            guard case .object = payload else {
                throw .invalidPayload("the payload at JSON pointer '\(mapping.payload)' must be an object, not \(payload.typeName)")
            }
            self.payload = payload
            self.payloadPointer = Self.payloadPointer(for: platform)
        } else {
            func field(_ name: String) throws(WebhookError) -> JSONValue {
                guard let value = fields[name] else { throw .invalidPayload("missing field '\(name)'") }
                return value
            }
            guard case .string(let type) = try field("event_type") else {
                throw .invalidPayload("field 'event_type' must be a string")
            }
            guard case .string(let bodyPlatform) = try field("platform") else {
                throw .invalidPayload("field 'platform' must be a string")
            }
            guard bodyPlatform == platform.id else {
                throw .invalidPayload("field 'platform' is '\(bodyPlatform)' but the URL names '\(platform.id)'")
            }
            guard case .string(let timestamp) = try field("timestamp") else {
                throw .invalidPayload("field 'timestamp' must be a string")
            }
            let payload = try field("payload")
            guard case .object = payload else {
                throw .invalidPayload("field 'payload' must be an object, not \(payload.typeName)")
            }
            sourceType = type
            self.timestamp = timestamp
            self.payload = payload
            self.payloadPointer = Self.payloadPointer(for: platform)
            self.deliveryID = nil
        }
        guard let eventType = platform.eventTypes[sourceType] else {
            let known = platform.eventTypes.keys.sorted().joined(separator: ", ")
            throw .invalidPayload("event type '\(sourceType)' is not an event type of platform '\(platform.id)' (known: \(known))")
        }
        for path in platform.requiredFields {
            guard let value = payload.value(atPath: path), value != .null else {
                throw .invalidPayload("required field 'payload.\(path)' is missing")
            }
        }
        self.sourceEventType = sourceType
        self.eventType = eventType
    }

    /// What of a body the receive path reads for `platform`, whose adapter declares `schema` (or none): the
    /// envelope's fields or the mapping's pointers, and below the payload the required fields and the schema's fields.
    /// Each of them reads a scalar, an array, or only an object's kind, so each is kept in part
    /// (``JSONSelection/touch(_:)``).
    ///
    /// The whole payload is read too, as canonical JSON (the event id of a delivery without the platform's own id, and
    /// what an adapter without declared rules is handed), but from the body's bytes, not from the tree
    /// (``CanonicalJSON/encode(valueAt:in:)``).
    public static func selection(for platform: PlatformConfig, schema: PayloadSchema?) -> JSONSelection {
        var selection = JSONSelection.nothing
        if let mapping = platform.envelope {
            for case .json(let pointer)? in [mapping.eventType, mapping.eventID, mapping.timestamp] {
                if let tokens = JSONValue.pointerTokens(pointer) { selection.touch(tokens) }
            }
        } else {
            for name in ["event_type", "platform", "timestamp"] { selection.touch([name]) }
        }
        // A malformed pointer finds no payload: the envelope refuses every body.
        guard let payload = self.payloadTokens(for: platform) else { return selection }
        selection.touch(payload)
        for path in platform.requiredFields { selection.touch(payload + JSONValue.pathKeys(path)) }
        for field in schema?.fields ?? [] { selection.touch(payload + (field.dotted ? JSONValue.pathKeys(field.name) : [field.name])) }
        return selection
    }

    /// Where the payload is in `platform`'s bodies: the mapping's pointer, or `/payload` in the default envelope.
    public static func payloadPointer(for platform: PlatformConfig) -> String {
        platform.envelope?.payload ?? "/payload"
    }

    /// The reference tokens of ``payloadPointer(for:)``; `nil` when the mapping's pointer is malformed.
    public static func payloadTokens(for platform: PlatformConfig) -> [String]? {
        JSONValue.pointerTokens(self.payloadPointer(for: platform))
    }

    /// A mapped part as text: a header's value, or a JSON string or number at a pointer.
    private static func text(
        _ source: PlatformConfig.Envelope.Source, _ document: JSONValue, _ header: (String) -> String?,
        name: String, required: Bool
    ) throws(WebhookError) -> String? {
        switch source {
        case .header(let headerName):
            guard let value = header(headerName), !value.isEmpty else {
                if required { throw .invalidPayload("the \(name) header \(headerName) is missing") }
                return nil
            }
            return value
        case .json(let pointer):
            switch document.value(atPointer: pointer) {
            case .string(let s)? where !s.isEmpty: return s
            case .number(let n)?: return n
            case nil, .null?:
                if required { throw .invalidPayload("the \(name) at JSON pointer '\(pointer)' is missing") }
                return nil
            case let other?:
                throw .invalidPayload("the \(name) at JSON pointer '\(pointer)' must be a string or a number, not \(other.typeName)")
            }
        }
    }
}
