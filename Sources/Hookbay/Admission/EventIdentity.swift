import Crypto
import HookbayJSON

/// The deduplication identity of an event: hex SHA-256 over the platform id, the canonical event type and the
/// payload in canonical JSON.
///
/// Signature and timestamp are not part of it, so a platform re-sending the same content with a new timestamp, a new
/// signature, other key order or other spacing is recognised as a duplicate.
public enum EventIdentity {
    /// The event id of a delivery whose envelope maps the platform's own delivery id: keyed on it, not on the content.
    public static func eventID(platform: String, deliveryID: String) -> String {
        var bytes = Array(platform.utf8)
        bytes.append(0x0A)
        bytes.append(contentsOf: "delivery".utf8)
        bytes.append(0x0A)
        bytes.append(contentsOf: deliveryID.utf8)
        return Hex.encode(SHA256.hash(data: bytes))
    }

    /// The event id for `payload`.
    public static func eventID(platform: String, eventType: CanonicalEventType, payload: JSONValue) -> String {
        eventID(platform: platform, eventType: eventType, payloadJSON: CanonicalJSON.encode(payload))
    }

    /// The event id for a payload given as its canonical JSON.
    public static func eventID(platform: String, eventType: CanonicalEventType, payloadJSON: [UInt8]) -> String {
        var hash = SHA256()
        var platform = platform
        var eventType = eventType.rawValue
        let newline: [UInt8] = [0x0A]
        platform.withUTF8 { hash.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        newline.withUnsafeBytes { hash.update(bufferPointer: $0) }
        eventType.withUTF8 { hash.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        newline.withUnsafeBytes { hash.update(bufferPointer: $0) }
        payloadJSON.withUnsafeBytes { hash.update(bufferPointer: $0) }
        return Hex.encode(hash.finalize())
    }
}
