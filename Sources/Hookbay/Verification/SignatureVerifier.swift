import Crypto
import Foundation

/// Checks a delivery's signature against a platform's active secrets, over the raw body bytes, before anything is
/// parsed.
///
/// Every MAC is compared in constant time (``PreparedHMAC``); a signature made with any of
/// the platform's secrets passes, so a platform can rotate keys without downtime. Timestamped schemes refuse a
/// timestamp more than `toleranceSeconds` away from now, in either direction.
public struct SignatureVerifier: Sendable {
    /// The platform's signature settings.
    public let signature: PlatformConfig.Signature
    private let keys: [SymmetricKey]
    /// One HMAC per key with the key's pads already hashed: each delivery copies prepared states.
    private let keyed: [PreparedHMAC]

    public init(signature: PlatformConfig.Signature, secrets: [PlatformSecret]) {
        self.signature = signature
        let keys = secrets.compactMap { Self.key(for: $0, scheme: signature.scheme) }
        self.keys = keys.map { SymmetricKey(data: $0) }
        self.keyed = keys.map { PreparedHMAC(key: $0) }
    }

    /// The HMAC key of a secret: its bytes as written, except for Standard Webhooks, whose `whsec_<base64>` secret
    /// (prefix optional) is the base64 of the key. `nil` when such a secret is not base64.
    public static func key(for secret: PlatformSecret, scheme: PlatformConfig.Signature.Scheme) -> [UInt8]? {
        guard scheme == .standardWebhooks else { return secret.bytes }
        var text = secret.bytes[...]
        if text.starts(with: Array("whsec_".utf8)) { text = text.dropFirst(6) }
        guard let key = Base64.decode(text), !key.isEmpty else { return nil }
        return key
    }

    /// Verifies the delivery.
    /// - Parameters:
    ///   - header: looks a request header up by name (case-insensitively).
    ///   - body: the raw body.
    ///   - now: Unix seconds, for the timestamped schemes.
    public func verify(header: (String) -> String?, body: some DataProtocol, now: Int64) throws(SignatureError) {
        switch signature.scheme {
        case .hmacSHA256, .github:
            guard let value = header(signature.header) else { throw .missingHeader(signature.header) }
            try self.verifyHMAC(value, body: body)
        case .stripe:
            guard let value = header(signature.header) else { throw .missingHeader(signature.header) }
            try self.verifyStripe(value, body: body, now: now)
        case .standardWebhooks:
            try self.verifyStandardWebhooks(header: header, body: body, now: now)
        }
    }

    /// The seed's scheme (and GitHub's): one MAC in one header.
    func verifyHMAC(_ value: String, body: some DataProtocol) throws(SignatureError) {
        let mac = try self.decode(value)
        guard self.matches(mac, body: body) else { throw .mismatch }
    }

    private func verifyStripe(_ value: String, body: some DataProtocol, now: Int64) throws(SignatureError) {
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for part in value.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { throw .malformed("\(signature.header) must look like t=<unix time>,v1=<hex>") }
            let key = pair[0].trimmingCharacters(in: .whitespaces)
            let text = pair[1].trimmingCharacters(in: .whitespaces)
            switch key {
            case "t": timestamp = Int64(text)
            case "v1":
                // A v1 that is not 64 hex digits cannot match; it is skipped like Stripe's own libraries do.
                if let mac = Self.hex(Substring(text)) { signatures.append(mac) }
            default: continue  // v0 and future schemes
            }
        }
        guard let timestamp else { throw .malformed("\(signature.header) has no t=<unix time>") }
        guard !signatures.isEmpty else { throw .malformed("\(signature.header) has no v1=<64 hex digits> signature") }
        try self.checkTimestamp(timestamp, now: now)
        let prefix = Array("\(timestamp).".utf8)
        for mac in signatures where self.matches(mac, prefix: prefix, body: body) { return }
        throw .mismatch
    }

    private func verifyStandardWebhooks(header: (String) -> String?, body: some DataProtocol, now: Int64) throws(SignatureError) {
        guard let id = header("webhook-id") else { throw .missingHeader("webhook-id") }
        guard let timestampText = header("webhook-timestamp") else { throw .missingHeader("webhook-timestamp") }
        guard let value = header(signature.header) else { throw .missingHeader(signature.header) }
        guard let timestamp = Int64(timestampText) else { throw .malformed("webhook-timestamp must be Unix seconds") }
        var signatures: [[UInt8]] = []
        for entry in value.split(separator: " ") {
            let pair = entry.split(separator: ",", maxSplits: 1)
            guard pair.count == 2, pair[0] == "v1" else { continue }  // other versions: not ours to check
            if let mac = Base64.decode(pair[1].utf8), mac.count == 32 { signatures.append(mac) }
        }
        guard !signatures.isEmpty else { throw .malformed("\(signature.header) has no v1,<base64> signature") }
        try self.checkTimestamp(timestamp, now: now)
        let prefix = Array("\(id).\(timestamp).".utf8)
        for mac in signatures where self.matches(mac, prefix: prefix, body: body) { return }
        throw .mismatch
    }

    /// Refuses a timestamp outside the tolerance window.
    public func checkTimestamp(_ timestamp: Int64, now: Int64) throws(SignatureError) {
        let tolerance = Int64(signature.toleranceSeconds)
        if timestamp < now - tolerance {
            throw .timestampOutOfRange("timestamp is out of range: \(now - timestamp) s old, more than the \(tolerance) s tolerated")
        }
        if timestamp > now + tolerance {
            throw .timestampOutOfRange("timestamp is out of range: \(timestamp - now) s in the future, more than the \(tolerance) s tolerated")
        }
    }

    /// Whether any key's MAC over `prefix` then `body` equals `mac` (each compare in constant time; every key is tried,
    /// so the time does not tell which one matched).
    private func matches(_ mac: [UInt8], prefix: [UInt8] = [], body: some DataProtocol) -> Bool {
        let found = body.withContiguousStorageIfAvailable { body in
            self.matches(mac, prefix: prefix, body: UnsafeRawBufferPointer(body))
        }
        return found ?? Array(body).withUnsafeBytes { self.matches(mac, prefix: prefix, body: $0) }
    }

    private func matches(_ mac: [UInt8], prefix: [UInt8], body: UnsafeRawBufferPointer) -> Bool {
        var found = false
        for key in keyed where key.isValid(mac, { hash in
            if !prefix.isEmpty { prefix.withUnsafeBytes { hash.update(bufferPointer: $0) } }
            hash.update(bufferPointer: body)
        }) {
            found = true
        }
        return found
    }

    /// The MAC bytes from an `hmac-sha256`/`github` header value, or why it is malformed.
    func decode(_ value: String) throws(SignatureError) -> [UInt8] {
        let prefix = signature.prefix
        // Built only for a refusal: the accepted path allocates no message.
        func malformed(_ detail: String) -> SignatureError {
            let form = signature.encoding == .hex ? "64 lowercase hex digits" : "base64 of 32 bytes"
            return .malformed("\(signature.header) must be \(prefix)<\(form)>; \(detail)")
        }
        guard value.hasPrefix(prefix) else { throw malformed("the '\(prefix)' prefix is missing") }
        let encoded = value.utf8.dropFirst(prefix.utf8.count)
        switch signature.encoding {
        case .hex:
            guard encoded.count == 64 else { throw malformed("got \(encoded.count) characters") }
            guard let bytes = Self.hex(Substring(encoded)) else { throw malformed("found a character that is not lowercase hex") }
            return bytes
        case .base64:
            guard let bytes = Base64.decode(encoded), bytes.count == 32 else { throw malformed("it is not base64 of 32 bytes") }
            return bytes
        }
    }

    /// 64 lowercase hex digits as 32 bytes.
    static func hex(_ text: Substring) -> [UInt8]? {
        // A native string's bytes are read in place (stepping through `Substring.UTF8View` costs an index check
        // per byte); a bridged one is copied first.
        text.utf8.withContiguousStorageIfAvailable(Self.hex(digits:)) ?? Self.hex(digits: Array(text.utf8))
    }

    private static func hex(digits: some RandomAccessCollection<UInt8>) -> [UInt8]? {
        guard digits.count == 64 else { return nil }
        var at = digits.startIndex
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 {
            let next = digits.index(after: at)
            guard let high = Self.nibble(digits[at]), let low = Self.nibble(digits[next]) else { return nil }
            bytes[i] = high << 4 | low
            at = digits.index(after: next)
        }
        return bytes
    }

    /// The value of one lowercase hex digit.
    private static func nibble(_ c: UInt8) -> UInt8? {
        let digit = c &- UInt8(ascii: "0")
        if digit < 10 { return digit }
        let letter = c &- UInt8(ascii: "a")
        return letter < 6 ? letter + 10 : nil
    }

    /// The headers a platform would send for `body`, signed with its first secret: for tests, `hookbay sign` and
    /// `curl`.
    /// - Parameters:
    ///   - now: Unix seconds to sign (timestamped schemes).
    ///   - deliveryID: the `webhook-id` (Standard Webhooks).
    public func headers(for body: [UInt8], now: Int64, deliveryID: String) -> [(String, String)] {
        guard let key = keys.first else { return [] }
        func mac(_ parts: [[UInt8]]) -> [UInt8] {
            var hmac = HMAC<SHA256>(key: key)
            for part in parts { hmac.update(data: part) }
            return Array(hmac.finalize())
        }
        switch signature.scheme {
        case .hmacSHA256, .github:
            let code = mac([body])
            return [(signature.header, signature.prefix + (signature.encoding == .hex ? Hex.encode(code) : Base64.encode(code)))]
        case .stripe:
            return [(signature.header, "t=\(now),v1=\(Hex.encode(mac([Array("\(now).".utf8), body])))")]
        case .standardWebhooks:
            let code = mac([Array("\(deliveryID).\(now).".utf8), body])
            return [("webhook-id", deliveryID), ("webhook-timestamp", String(now)), (signature.header, "v1,\(Base64.encode(code))")]
        }
    }

    /// `sha256=<hex>`-style header value for `body` under `secret` (the seed's scheme and GitHub's).
    public static func sign(body: [UInt8], secret: PlatformSecret, signature: PlatformConfig.Signature) -> String {
        SignatureVerifier(signature: signature, secrets: [secret]).headers(for: body, now: 0, deliveryID: "").first?.1 ?? ""
    }
}
