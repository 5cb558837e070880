import Crypto
import Foundation

/// Checks a delivery's signature against a platform's active secrets, over the raw body bytes.
///
/// The MAC is compared in constant time (swift-crypto's `isValidAuthenticationCode`); a signature made with any of
/// the platform's secrets passes, so a platform can rotate keys without downtime.
public struct SignatureVerifier: Sendable {
    /// The platform's signature settings.
    public var signature: PlatformConfig.Signature
    private let keys: [SymmetricKey]

    public init(signature: PlatformConfig.Signature, secrets: [PlatformSecret]) {
        self.signature = signature
        self.keys = secrets.map { SymmetricKey(data: $0.bytes) }
    }

    /// Verifies `headerValue` (the signature header's value, `nil` when absent) for `body`.
    public func verify(headerValue: String?, body: some DataProtocol) throws(SignatureError) {
        guard let headerValue else { throw .missingHeader(signature.header) }
        let mac = try self.decode(headerValue)
        for key in keys where HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: key) {
            return
        }
        throw .mismatch
    }

    /// The MAC bytes from the header value, or why it is malformed.
    func decode(_ value: String) throws(SignatureError) -> [UInt8] {
        let prefix = signature.prefix
        let expected = "\(signature.header) must be \(prefix)<\(signature.encoding == .hex ? "64 lowercase hex digits" : "base64 of 32 bytes")>"
        guard value.hasPrefix(prefix) else { throw .malformed("\(expected); the '\(prefix)' prefix is missing") }
        let encoded = value.utf8.dropFirst(prefix.utf8.count)
        switch signature.encoding {
        case .hex:
            guard encoded.count == 64 else { throw .malformed("\(expected); got \(encoded.count) characters") }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(32)
            var high: UInt8?
            for c in encoded {
                let nibble: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = c - UInt8(ascii: "a") + 10
                default: throw .malformed("\(expected); found a character that is not lowercase hex")
                }
                if let h = high {
                    bytes.append(h << 4 | nibble)
                    high = nil
                } else {
                    high = nibble
                }
            }
            return bytes
        case .base64:
            guard let bytes = Base64.decode(encoded), bytes.count == 32 else {
                throw .malformed("\(expected); it is not base64 of 32 bytes")
            }
            return bytes
        }
    }

    /// The header value this verifier accepts for `body` signed with `secret`: what a platform would send.
    public static func sign(body: some DataProtocol, secret: PlatformSecret, signature: PlatformConfig.Signature) -> String {
        let mac = Array(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret.bytes)))
        switch signature.encoding {
        case .hex: return signature.prefix + Hex.encode(mac)
        case .base64: return signature.prefix + Base64.encode(mac)
        }
    }
}
