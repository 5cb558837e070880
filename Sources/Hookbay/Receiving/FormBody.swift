/// An `application/x-www-form-urlencoded` body's field (`body_format: form`): Slack's interactive payloads come as
/// `payload=<percent-encoded JSON>`. The signature covers the raw form bytes; the envelope is read from the field.
///
/// Decoding is bounded by the body (the value is never longer than the bytes it comes from) and strict: a `%` not
/// followed by two hex digits, a field given twice, or no such field is a `400 invalid_payload`.
public enum FormBody {
    /// The decoded value of `name` in `body` (`+` is a space, `%XX` a byte).
    public static func field(_ name: String, in body: some Collection<UInt8>) throws(WebhookError) -> [UInt8] {
        let wanted = Array(name.utf8)
        var found: [UInt8]?
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let key = try Self.decode(pair[..<(equals ?? pair.endIndex)])
            guard key == wanted else { continue }
            guard found == nil else { throw .invalidPayload("the form gives the field '\(name)' more than once") }
            found = try Self.decode(equals.map { pair[pair.index(after: $0)...] } ?? pair[pair.endIndex...])
        }
        guard let found else { throw .invalidPayload("the form has no field '\(name)' (body_format: form)") }
        return found
    }

    /// Percent-decoding with `+` as a space.
    static func decode(_ bytes: some Collection<UInt8>) throws(WebhookError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            index = bytes.index(after: index)
            switch byte {
            case UInt8(ascii: "+"):
                out.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index != bytes.endIndex, let high = Hex.value(of: bytes[index]) else { throw Self.badEscape }
                index = bytes.index(after: index)
                guard index != bytes.endIndex, let low = Hex.value(of: bytes[index]) else { throw Self.badEscape }
                index = bytes.index(after: index)
                out.append(high << 4 | low)
            default:
                out.append(byte)
            }
        }
        return out
    }

    private static let badEscape = WebhookError.invalidPayload("the form body has a '%' not followed by two hex digits")
}
