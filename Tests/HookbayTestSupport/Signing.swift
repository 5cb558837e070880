import Crypto
import Foundation
import Hookbay

/// Signing and verifying for tests, computed independently of the verifier under test.
public enum Signing {
    /// The secret of the Standard Webhooks libraries' published test vector.
    public static let standardWebhooksVectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
}

/// HMAC-SHA256 computed independently of the verifier.
public func hmacHex(_ parts: [UInt8], key: [UInt8]) -> String {
    HMAC<SHA256>.authenticationCode(for: parts, using: SymmetricKey(data: key)).map { String(format: "%02x", $0) }.joined()
}

public func hmacBase64(_ parts: [UInt8], key: [UInt8]) -> String {
    Data(HMAC<SHA256>.authenticationCode(for: parts, using: SymmetricKey(data: key))).base64EncodedString()
}

public func secret(_ text: String) -> PlatformSecret { PlatformSecret(bytes: Array(text.utf8), source: "test") }

/// Verifies with the given headers (names matched case-insensitively, as HTTP does).
public func verify(_ verifier: SignatureVerifier, _ headers: [String: String], body: [UInt8], now: Int64 = 1_700_000_000) throws(SignatureError) {
    try verifier.verify(header: { name in headers.first { $0.key.lowercased() == name.lowercased() }?.value }, body: body, now: now)
}
