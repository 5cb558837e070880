import Crypto
import Foundation

/// Checks a delivery's signature against a platform's active secrets, over the raw body bytes, before anything is
/// parsed.
///
/// Every MAC is compared in constant time (``PreparedHMAC``); a signature made with any of
/// the platform's secrets passes, so a platform can rotate keys without downtime. Timestamped schemes refuse a
/// timestamp more than `toleranceSeconds` away from now, in either direction.
///
/// Everything here runs before the sender is authenticated, so its work is bounded by the body alone: the signature
/// header is at most ``maxHeaderBytes`` long and carries at most ``maxCandidates`` signatures, each key's MAC is
/// computed once per delivery and compared against every candidate, and no arithmetic on a header's integers can
/// overflow.
public struct SignatureVerifier: Sendable {
    /// The longest signature header read; a longer one is refused before it is parsed.
    public static let maxHeaderBytes = 4096
    /// The most signatures one header may carry (rotation needs two or three); more are refused.
    public static let maxCandidates = 16

    /// The platform's signature settings.
    public let signature: PlatformConfig.Signature
    private let keys: [SymmetricKey]
    /// One HMAC per key with the key's pads already hashed: each delivery copies prepared states. Only the scheme's
    /// hash has keys.
    private let keyed: [PreparedHMAC<SHA256>]
    private let keyedSHA1: [PreparedHMAC<Insecure.SHA1>]
    private let keyedSHA512: [PreparedHMAC<SHA512>]
    /// The token schemes: the SHA-256 of each secret, compared with the SHA-256 of the header (so the compare's
    /// time says nothing of the length either).
    private let tokenDigests: [[UInt8]]

    public init(signature: PlatformConfig.Signature, secrets: [PlatformSecret]) {
        self.signature = signature
        let keys = secrets.compactMap { Self.key(for: $0, scheme: signature.scheme) }
        self.keys = keys.map { SymmetricKey(data: $0) }
        let algorithm = signature.scheme.family == .template ? signature.algorithm : .sha256
        let mac = signature.scheme.family != .token
        self.keyed = mac && algorithm == .sha256 ? keys.map { PreparedHMAC<SHA256>(key: $0) } : []
        self.keyedSHA1 = mac && algorithm == .sha1 ? keys.map { PreparedHMAC<Insecure.SHA1>(key: $0) } : []
        self.keyedSHA512 = mac && algorithm == .sha512 ? keys.map { PreparedHMAC<SHA512>(key: $0) } : []
        self.tokenDigests = mac ? [] : keys.map { ConstantTime.digest($0) }
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
            guard let value = try Self.bounded(signature.header, header) else { throw .missingHeader(signature.header) }
            try self.verifyHMAC(value, body: body)
        case .stripe:
            guard let value = try Self.bounded(signature.header, header) else { throw .missingHeader(signature.header) }
            try self.verifyStripe(value, body: body, now: now)
        case .standardWebhooks:
            try self.verifyStandardWebhooks(header: header, body: body, now: now)
        case .hmac, .slack, .shopify, .zoom:
            try self.verifyTemplate(header: header, body: body, now: now)
        case .token, .gitlab:
            try self.verifyToken(header: header)
        }
    }

    /// Any HMAC as the platform file describes it: the timestamp window first (cheap), then one MAC per key over the
    /// signed content.
    private func verifyTemplate(header: (String) -> String?, body: some DataProtocol, now: Int64) throws(SignatureError) {
        guard let value = try Self.bounded(signature.header, header) else { throw .missingHeader(signature.header) }
        if let name = signature.timestampHeader {
            guard let text = try Self.bounded(name, header) else { throw .missingHeader(name) }
            guard let seconds = Self.unixSeconds(Substring(text)) else { throw .malformed("\(name) must be Unix seconds (at most 12 digits)") }
            try self.checkTimestamp(seconds, now: now)
        }
        let mac = try self.decode(value)
        let prefix = try Self.signedBytes(signature.signedContent.beforeBody, header)
        let suffix = try Self.signedBytes(signature.signedContent.afterBody, header)
        guard self.matches(CollectionOfOne(mac), prefix: prefix, suffix: suffix, body: body) else { throw .mismatch }
    }

    /// The bytes of signed-content parts, with the headers they name (each bounded; a missing one refuses). A header's
    /// value may not hold the byte of the text on either side of it, which would let bytes move across it.
    private static func signedBytes(_ parts: [SignedContent.Part], _ header: (String) -> String?) throws(SignatureError) -> [UInt8] {
        var bytes: [UInt8] = []
        for (index, part) in parts.enumerated() {
            switch part {
            case .text(let text): bytes += text
            case .header(let name):
                guard let value = try Self.bounded(name, header) else { throw .missingHeader(name) }
                var neighbours: [UInt8] = []
                if index > 0, case .text(let text) = parts[index - 1], let last = text.last { neighbours.append(last) }
                if index + 1 < parts.count, case .text(let text) = parts[index + 1], let first = text.first { neighbours.append(first) }
                if let byte = value.utf8.first(where: { neighbours.contains($0) }) {
                    throw .malformed("\(name) may not contain '\(Character(Unicode.Scalar(byte)))', which the signed content puts next to it")
                }
                bytes += value.utf8
            }
        }
        return bytes
    }

    /// A shared token, compared in constant time with every active secret.
    private func verifyToken(header: (String) -> String?) throws(SignatureError) {
        guard let value = try Self.bounded(signature.header, header) else { throw .missingHeader(signature.header) }
        let given = ConstantTime.digest(value.utf8)
        var found = false
        // Every secret is compared, whichever matches.
        for expected in self.tokenDigests where ConstantTime.equal(given, expected) { found = true }
        guard found else { throw .tokenMismatch(signature.header) }
    }

    /// A header's value, refused when it is longer than ``maxHeaderBytes``.
    private static func bounded(_ name: String, _ header: (String) -> String?) throws(SignatureError) -> String? {
        guard let value = header(name) else { return nil }
        guard value.utf8.count <= Self.maxHeaderBytes else {
            throw .malformed("\(name) is longer than \(Self.maxHeaderBytes) bytes")
        }
        return value
    }

    /// The seed's scheme (and GitHub's): one MAC in one header.
    func verifyHMAC(_ value: String, body: some DataProtocol) throws(SignatureError) {
        let mac = try self.decode(value)
        guard self.matches(mac, body: body) else { throw .mismatch }
    }

    private func verifyStripe(_ value: String, body: some DataProtocol, now: Int64) throws(SignatureError) {
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        var entries = 0
        for part in value.split(separator: ",") {
            entries += 1
            guard entries <= Self.maxCandidates * 2 else {
                throw .malformed("\(signature.header) has more than \(Self.maxCandidates * 2) entries")
            }
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { throw .malformed("\(signature.header) must look like t=<unix time>,v1=<hex>") }
            let key = pair[0].trimmingOWS
            let text = pair[1].trimmingOWS
            switch key {
            case "t":
                guard timestamp == nil else { throw .malformed("\(signature.header) has more than one t=") }
                guard let seconds = Self.unixSeconds(text) else {
                    throw .malformed("\(signature.header) t= must be Unix seconds (at most 12 digits)")
                }
                timestamp = seconds
            case "v1":
                // A v1 that is not 64 hex digits cannot match; it is skipped like Stripe's own libraries do.
                if let mac = Self.hex(Substring(text)) { signatures.append(mac) }
            default: continue // v0 and future schemes
            }
        }
        guard let timestamp else { throw .malformed("\(signature.header) has no t=<unix time>") }
        guard !signatures.isEmpty else { throw .malformed("\(signature.header) has no v1=<64 hex digits> signature") }
        guard signatures.count <= Self.maxCandidates else {
            throw .malformed("\(signature.header) has more than \(Self.maxCandidates) v1 signatures")
        }
        try self.checkTimestamp(timestamp, now: now)
        let prefix = Array("\(timestamp).".utf8)
        guard self.matches(signatures, prefix: prefix, body: body) else { throw .mismatch }
    }

    private func verifyStandardWebhooks(header: (String) -> String?, body: some DataProtocol, now: Int64) throws(SignatureError) {
        guard let id = try Self.bounded("webhook-id", header) else { throw .missingHeader("webhook-id") }
        guard let timestampText = try Self.bounded("webhook-timestamp", header) else { throw .missingHeader("webhook-timestamp") }
        guard let value = try Self.bounded(signature.header, header) else { throw .missingHeader(signature.header) }
        guard let timestamp = Self.unixSeconds(Substring(timestampText)) else {
            throw .malformed("webhook-timestamp must be Unix seconds (at most 12 digits)")
        }
        var signatures: [[UInt8]] = []
        var entries = 0
        for entry in value.split(separator: " ") {
            entries += 1
            guard entries <= Self.maxCandidates * 2 else {
                throw .malformed("\(signature.header) has more than \(Self.maxCandidates * 2) entries")
            }
            let pair = entry.split(separator: ",", maxSplits: 1)
            guard pair.count == 2, pair[0] == "v1" else { continue } // other versions: not ours to check
            if let mac = Base64.decode(pair[1].utf8), mac.count == 32 { signatures.append(mac) }
        }
        guard !signatures.isEmpty else { throw .malformed("\(signature.header) has no v1,<base64> signature") }
        guard signatures.count <= Self.maxCandidates else {
            throw .malformed("\(signature.header) has more than \(Self.maxCandidates) v1 signatures")
        }
        try self.checkTimestamp(timestamp, now: now)
        let prefix = Array("\(id).\(timestamp).".utf8)
        guard self.matches(signatures, prefix: prefix, body: body) else { throw .mismatch }
    }

    /// Unix seconds written as at most 12 decimal digits (an optional leading `-` aside), so any tolerance
    /// arithmetic on them stays far inside `Int64`; `nil` for anything else (`+5`, 20 digits, spaces).
    static func unixSeconds(_ text: Substring) -> Int64? {
        let digits = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return Int64(text)
    }

    /// Unix seconds as a signature header writes them (see ``unixSeconds(_:)-(Substring)``).
    public static func unixSeconds(_ text: String) -> Int64? { Self.unixSeconds(Substring(text)) }

    /// Refuses a timestamp outside the tolerance window. Any `Int64` is safe here: differences that would overflow
    /// are out of range by definition.
    public func checkTimestamp(_ timestamp: Int64, now: Int64) throws(SignatureError) {
        let tolerance = Int64(clamping: max(0, signature.toleranceSeconds))
        try Self.checkWindow(
            sent: timestamp, now: now, unit: 1, maxOld: tolerance, maxFuture: tolerance,
            oldRule: "more than the \(tolerance) s tolerated")
    }

    /// Refuses an envelope whose `timestamp` (Unix milliseconds, any `Int64`) is more than `signature.maxAgeSeconds`
    /// old or more than the tolerance in the future; nothing when the platform sets no maximum age.
    public func checkAge(sentMilliseconds sent: Int64, nowMilliseconds now: Int64) throws(SignatureError) {
        guard let maxAge = signature.maxAgeSeconds else { return }
        try Self.checkWindow(
            sent: sent, now: now, unit: 1000, maxOld: Int64(clamping: maxAge),
            maxFuture: Int64(clamping: max(0, signature.toleranceSeconds)),
            oldRule: "deliveries older than \(maxAge) s are refused")
    }

    /// Refuses `sent` (in `unit`s of a second) more than `maxOld` seconds before `now` or more than `maxFuture` after
    /// it. A difference that overflows `Int64` is out of range by definition, so no pair of values can trap.
    private static func checkWindow(
        sent: Int64, now: Int64, unit: Int64, maxOld: Int64, maxFuture: Int64,
        oldRule: String
    ) throws(SignatureError) {
        let (difference, overflow) = now.subtractingReportingOverflow(sent)
        let old = overflow ? sent < now : difference > 0
        let seconds = (difference / unit).magnitude
        guard overflow || (old ? seconds > maxOld.magnitude : seconds > maxFuture.magnitude) else { return }
        let distance = overflow ? "more than \(Int64.max / unit)" : "\(seconds)"
        throw .timestampOutOfRange(
            old
                ? "timestamp is out of range: \(distance) s old, \(oldRule)"
                : "timestamp is out of range: \(distance) s in the future, more than the \(maxFuture) s tolerated")
    }

    /// Whether any key's MAC over `prefix` then `body` equals `mac` (each compare in constant time; every key is tried,
    /// so the time does not tell which one matched).
    private func matches(_ mac: [UInt8], prefix: [UInt8] = [], body: some DataProtocol) -> Bool {
        self.matches(CollectionOfOne(mac), prefix: prefix, body: body)
    }

    /// Whether any key's MAC over `prefix`, `body`, then `suffix` equals any of `candidates`: one MAC per key, whatever
    /// the number of candidates, each compared against every candidate in constant time.
    private func matches(_ candidates: some Collection<[UInt8]>, prefix: [UInt8], suffix: [UInt8] = [], body: some DataProtocol) -> Bool {
        let found = body.withContiguousStorageIfAvailable { body in
            self.matches(candidates, prefix: prefix, suffix: suffix, body: UnsafeRawBufferPointer(body))
        }
        return found ?? Array(body).withUnsafeBytes { self.matches(candidates, prefix: prefix, suffix: suffix, body: $0) }
    }

    private func matches(_ candidates: some Collection<[UInt8]>, prefix: [UInt8], suffix: [UInt8], body: UnsafeRawBufferPointer) -> Bool {
        Self.matches(self.keyed, candidates, prefix: prefix, suffix: suffix, body: body)
            || Self.matches(self.keyedSHA1, candidates, prefix: prefix, suffix: suffix, body: body)
            || Self.matches(self.keyedSHA512, candidates, prefix: prefix, suffix: suffix, body: body)
    }

    private static func matches<H>(
        _ keys: [PreparedHMAC<H>], _ candidates: some Collection<[UInt8]>, prefix: [UInt8], suffix: [UInt8], body: UnsafeRawBufferPointer
    ) -> Bool {
        var found = false
        for key in keys {
            let code = key.code { hash in
                if !prefix.isEmpty { prefix.withUnsafeBytes { hash.update(bufferPointer: $0) } }
                hash.update(bufferPointer: body)
                if !suffix.isEmpty { suffix.withUnsafeBytes { hash.update(bufferPointer: $0) } }
            }
            for mac in candidates where PreparedHMAC<H>.equal(code, mac) { found = true }
        }
        return found
    }

    /// The MAC bytes from a one-MAC header value (`hmac-sha256`, `github`, `hmac` and its presets), or why it is
    /// malformed. `hmac-sha256` and `github` take lowercase hex only; `hmac` and its presets either case.
    func decode(_ value: String) throws(SignatureError) -> [UInt8] {
        let prefix = signature.prefix
        let template = signature.scheme.family == .template
        let count = template ? signature.algorithm.byteCount : 32
        // Built only for a refusal: the accepted path allocates no message.
        func malformed(_ detail: String) -> SignatureError {
            let form = signature.encoding == .hex ? "\(count * 2) \(template ? "" : "lowercase ")hex digits" : "base64 of \(count) bytes"
            return .malformed("\(signature.header) must be \(prefix)<\(form)>; \(detail)")
        }
        guard value.hasPrefix(prefix) else { throw malformed("the '\(prefix)' prefix is missing") }
        let encoded = value.utf8.dropFirst(prefix.utf8.count)
        switch signature.encoding {
        case .hex:
            guard encoded.count == count * 2 else { throw malformed("got \(encoded.count) characters") }
            if template {
                guard let bytes = Hex.decode(anyCase: encoded) else { throw malformed("found a character that is not hex") }
                return bytes
            }
            guard let bytes = Self.hex(Substring(encoded)) else { throw malformed("found a character that is not lowercase hex") }
            return bytes
        case .base64:
            guard let bytes = Base64.decode(encoded), bytes.count == count else { throw malformed("it is not base64 of \(count) bytes") }
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
            guard let high = Hex.value(ofLowercase: digits[at]), let low = Hex.value(ofLowercase: digits[next]) else { return nil }
            bytes[i] = high << 4 | low
            at = digits.index(after: next)
        }
        return bytes
    }

    /// The headers a platform would send for `body`, signed with its first secret: for tests, `hookbay sign` and
    /// `curl`.
    /// - Parameters:
    ///   - now: Unix seconds to sign (timestamped schemes).
    ///   - deliveryID: the `webhook-id` (Standard Webhooks).
    ///   - values: the values of other headers an `hmac` scheme's signed content names (missing ones are signed empty
    ///     and returned empty: see ``missingSignedHeaders(given:)``).
    public func headers(for body: [UInt8], now: Int64, deliveryID: String, values: [String: String] = [:]) -> [(String, String)] {
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
            return Self.standardWebhooksHeaders(body: body, keys: [key], id: deliveryID, timestamp: now, header: signature.header)
        case .token, .gitlab:
            return [(signature.header, String(decoding: key.withUnsafeBytes { Array($0) }, as: UTF8.self))]
        case .hmac, .slack, .shopify, .zoom:
            var sent: [(String, String)] = []
            var known = Dictionary(values.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
            if let name = signature.timestampHeader {
                known[name.lowercased()] = String(now)
                sent.append((name, String(now)))
            }
            for name in signature.signedContent.headerNames where !sent.contains(where: { $0.0.lowercased() == name.lowercased() }) {
                sent.append((name, known[name.lowercased()] ?? ""))
            }
            func content(_ parts: [SignedContent.Part]) -> [UInt8] {
                parts.flatMap { part -> [UInt8] in
                    switch part {
                    case .text(let text): return text
                    case .header(let name): return Array((known[name.lowercased()] ?? "").utf8)
                    }
                }
            }
            let message = content(signature.signedContent.beforeBody) + body + content(signature.signedContent.afterBody)
            let code: [UInt8]
            switch signature.algorithm {
            case .sha1: code = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
            case .sha256: code = Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
            case .sha512: code = Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
            }
            let encoded = signature.encoding == .hex ? Hex.encode(code) : Base64.encode(code)
            return [(signature.header, signature.prefix + encoded)] + sent
        }
    }

    /// The headers an `hmac` scheme's signed content names, other than its timestamp, that `given` has no value for.
    public func missingSignedHeaders(given: [String: String]) -> [String] {
        guard signature.scheme.family == .template else { return [] }
        let known = Set(given.keys.map { $0.lowercased() })
        return signature.signedContent.headerNames.filter { name in
            name.lowercased() != signature.timestampHeader?.lowercased() && !known.contains(name.lowercased())
        }
    }

    /// Standard Webhooks headers for `body`: `webhook-id`, `webhook-timestamp` and `header` with one `v1,<base64>`
    /// signature per key (space-separated, so a receiver that knows any one of them verifies), each the HMAC-SHA256 of
    /// `id.timestamp.body`.
    static func standardWebhooksHeaders(
        body: [UInt8], keys: [SymmetricKey], id: String, timestamp: Int64, header: String = "webhook-signature"
    ) -> [(String, String)] {
        let prefix = Array("\(id).\(timestamp).".utf8)
        let signatures = keys.map { key in
            var hmac = HMAC<SHA256>(key: key)
            hmac.update(data: prefix)
            hmac.update(data: body)
            return "v1," + Base64.encode(Array(hmac.finalize()))
        }
        return [("webhook-id", id), ("webhook-timestamp", String(timestamp)), (header, signatures.joined(separator: " "))]
    }

    /// `sha256=<hex>`-style header value for `body` under `secret` (the seed's scheme and GitHub's).
    public static func sign(body: [UInt8], secret: PlatformSecret, signature: PlatformConfig.Signature) -> String {
        SignatureVerifier(signature: signature, secrets: [secret]).headers(for: body, now: 0, deliveryID: "").first?.1 ?? ""
    }
}
