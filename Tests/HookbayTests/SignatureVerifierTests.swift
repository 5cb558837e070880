import Crypto
import Foundation
import Testing

@testable import Hookbay

@Suite struct SignatureVerifierTests {
    let secret = PlatformSecret(bytes: Array("s3cret".utf8), source: "test")
    var verifier: SignatureVerifier { SignatureVerifier(signature: .init(), secrets: [secret]) }
    let body = Array(#"{"event_type":"content_added"}"#.utf8)

    /// Computed independently of the verifier's own signing helper.
    func hexMAC(_ body: [UInt8], key: String) -> String {
        HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(key.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    @Test func acceptsValidSignature() throws {
        try verifier.verify(headerValue: "sha256=" + hexMAC(body, key: "s3cret"), body: body)
    }

    @Test func acceptsEmptyBodySignedCorrectly() throws {
        try verifier.verify(headerValue: "sha256=" + hexMAC([], key: "s3cret"), body: [UInt8]())
    }

    @Test func refusesEmptyBodyWithOtherSignature() {
        #expect(throws: SignatureError.mismatch) {
            try verifier.verify(headerValue: "sha256=" + hexMAC(body, key: "s3cret"), body: [UInt8]())
        }
    }

    @Test func refusesWrongSecret() {
        #expect(throws: SignatureError.mismatch) {
            try verifier.verify(headerValue: "sha256=" + hexMAC(body, key: "other"), body: body)
        }
    }

    @Test func refusesTamperedBody() {
        #expect(throws: SignatureError.mismatch) {
            try verifier.verify(headerValue: "sha256=" + hexMAC(body, key: "s3cret"), body: body + [0x20])
        }
    }

    @Test func refusesMissingHeader() {
        #expect(throws: SignatureError.missingHeader("X-Webhook-Signature")) { try verifier.verify(headerValue: nil, body: body) }
    }

    enum Malformation: String, CaseIterable, Sendable {
        case missingPrefix, wrongPrefix, uppercaseHex, badHex, tooShort, tooLong, empty

        func apply(_ mac: String) -> (header: String, message: String) {
            switch self {
            case .missingPrefix: return (mac, "prefix is missing")
            case .wrongPrefix: return ("sha1=" + mac, "prefix is missing")
            case .uppercaseHex: return ("sha256=" + mac.uppercased(), "not lowercase hex")
            case .badHex: return ("sha256=" + String(mac.dropLast()) + "z", "not lowercase hex")
            case .tooShort: return ("sha256=" + String(mac.dropLast(2)), "got 62 characters")
            case .tooLong: return ("sha256=" + mac + "00", "got 66 characters")
            case .empty: return ("", "prefix is missing")
            }
        }
    }

    @Test(arguments: Malformation.allCases)
    func refusesMalformed(_ malformation: Malformation) {
        let (header, message) = malformation.apply(hexMAC(body, key: "s3cret"))
        #expect {
            try verifier.verify(headerValue: header, body: body)
        } throws: { error in
            guard case SignatureError.malformed(let text) = error else { return false }
            return text.contains(message)
        }
    }

    @Test func anyActiveSecretPasses() throws {
        let rotated = SignatureVerifier(signature: .init(), secrets: [
            PlatformSecret(bytes: Array("new".utf8), source: "a"), PlatformSecret(bytes: Array("old".utf8), source: "b"),
        ])
        try rotated.verify(headerValue: "sha256=" + hexMAC(body, key: "old"), body: body)
        try rotated.verify(headerValue: "sha256=" + hexMAC(body, key: "new"), body: body)
        #expect(throws: SignatureError.mismatch) { try rotated.verify(headerValue: "sha256=" + hexMAC(body, key: "x"), body: body) }
    }

    @Test func base64Encoding() throws {
        var signature = PlatformConfig.Signature()
        signature.encoding = .base64
        signature.prefix = ""
        let mac = Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array("s3cret".utf8)))).base64EncodedString()
        let verifier = SignatureVerifier(signature: signature, secrets: [secret])
        try verifier.verify(headerValue: mac, body: body)
        #expect(SignatureVerifier.sign(body: body, secret: secret, signature: signature) == mac)
        #expect(throws: SignatureError.self) { try verifier.verify(headerValue: "!!" + mac.dropFirst(2), body: body) }
    }

    @Test func secretNeverPrints() {
        #expect(!"\(secret)".contains("s3cret"))
        #expect(!String(reflecting: secret).contains("s3cret"))
    }
}
