import Crypto
import Foundation
import HookbayTestSupport
import Testing

@testable import Hookbay

@Suite struct SignatureVerifierTests {
    let key = Array("s3cret".utf8)
    var verifier: SignatureVerifier { SignatureVerifier(signature: .init(), secrets: [secret("s3cret")]) }
    let body = Array(#"{"event_type":"content_added"}"#.utf8)

    @Test func acceptsValidSignature() throws {
        try verify(verifier, ["X-Webhook-Signature": "sha256=" + hmacHex(body, key: key)], body: body)
    }

    @Test func oneVerifierChecksManyDeliveriesIndependently() throws {
        // The keyed HMAC state is copied per delivery: earlier deliveries must not leak into later ones.
        let shared = SignatureVerifier(signature: .init(), secrets: [secret("old-key"), secret("s3cret")])
        for i in 0..<50 {
            let body = Array(#"{"n":\#(i)}"#.utf8)
            try verify(shared, ["X-Webhook-Signature": "sha256=" + hmacHex(body, key: key)], body: body)
            #expect(throws: SignatureError.self) {
                try verify(shared, ["X-Webhook-Signature": "sha256=" + hmacHex(body + [0x20], key: key)], body: body)
            }
        }
    }

    @Test func acceptsEmptyBodySignedCorrectly() throws {
        try verify(verifier, ["X-Webhook-Signature": "sha256=" + hmacHex([], key: key)], body: [])
    }

    @Test func refusesEmptyBodyWithOtherSignature() {
        #expect(throws: SignatureError.mismatch) { try verify(verifier, ["X-Webhook-Signature": "sha256=" + hmacHex(body, key: key)], body: []) }
    }

    @Test func refusesWrongSecret() {
        #expect(throws: SignatureError.mismatch) {
            try verify(verifier, ["X-Webhook-Signature": "sha256=" + hmacHex(body, key: Array("other".utf8))], body: body)
        }
    }

    @Test func refusesTamperedBody() {
        #expect(throws: SignatureError.mismatch) {
            try verify(verifier, ["X-Webhook-Signature": "sha256=" + hmacHex(body, key: key)], body: body + [0x20])
        }
    }

    @Test func refusesMissingHeader() {
        #expect(throws: SignatureError.missingHeader("X-Webhook-Signature")) { try verify(verifier, [:], body: body) }
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
        let (header, message) = malformation.apply(hmacHex(body, key: key))
        #expect {
            try verify(verifier, ["X-Webhook-Signature": header], body: body)
        } throws: { error in
            guard case SignatureError.malformed(let text) = error else { return false }
            return text.contains(message)
        }
    }

    @Test func anyActiveSecretPasses() throws {
        let rotated = SignatureVerifier(signature: .init(), secrets: [secret("new"), secret("old")])
        try verify(rotated, ["X-Webhook-Signature": "sha256=" + hmacHex(body, key: Array("old".utf8))], body: body)
        try verify(rotated, ["X-Webhook-Signature": "sha256=" + hmacHex(body, key: Array("new".utf8))], body: body)
        #expect(throws: SignatureError.mismatch) {
            try verify(rotated, ["X-Webhook-Signature": "sha256=" + hmacHex(body, key: Array("x".utf8))], body: body)
        }
    }

    @Test func base64Encoding() throws {
        var signature = PlatformConfig.Signature()
        signature.encoding = .base64
        signature.prefix = ""
        let mac = hmacBase64(body, key: key)
        let verifier = SignatureVerifier(signature: signature, secrets: [secret("s3cret")])
        try verify(verifier, ["X-Webhook-Signature": mac], body: body)
        #expect(SignatureVerifier.sign(body: body, secret: secret("s3cret"), signature: signature) == mac)
        #expect(throws: SignatureError.self) { try verify(verifier, ["X-Webhook-Signature": "!!" + mac.dropFirst(2)], body: body) }
    }

    @Test func secretNeverPrints() {
        #expect(!"\(secret("s3cret"))".contains("s3cret"))
        #expect(!String(reflecting: secret("s3cret")).contains("s3cret"))
    }
}

@Suite struct GitHubSignatureTests {
    let verifier = SignatureVerifier(signature: .init(scheme: .github), secrets: [secret("It's a Secret to Everybody")])

    /// GitHub's documentation example.
    @Test func publishedExample() throws {
        try verify(
            verifier, ["X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"],
            body: Array("Hello, World!".utf8))
        #expect(
            verifier.headers(for: Array("Hello, World!".utf8), now: 0, deliveryID: "").first?.1
                == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
    }

    @Test func refusesTamperedBodyAndMissingHeader() {
        #expect(throws: SignatureError.mismatch) {
            try verify(
                verifier, ["X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"],
                body: Array("Hello, World?".utf8))
        }
        #expect(throws: SignatureError.missingHeader("X-Hub-Signature-256")) { try verify(verifier, [:], body: []) }
    }
}

@Suite struct StripeSignatureTests {
    let secretText = "whsec_test_secret_Stripe"
    var verifier: SignatureVerifier { SignatureVerifier(signature: .init(scheme: .stripe), secrets: [secret(secretText)]) }
    let body = Array(#"{"id":"evt_1","type":"product.created"}"#.utf8)
    let now: Int64 = 1_700_000_000

    func v1(_ t: Int64, key: String? = nil) -> String { hmacHex(Array("\(t).".utf8) + body, key: Array((key ?? secretText).utf8)) }

    @Test func validAndAnyOfSeveral() throws {
        try verify(verifier, ["Stripe-Signature": "t=\(now),v1=\(v1(now))"], body: body, now: now)
        try verify(verifier, ["Stripe-Signature": "t=\(now),v1=\(v1(now, key: "old")),v1=\(v1(now)),v0=abc"], body: body, now: now)
        #expect(verifier.headers(for: body, now: now, deliveryID: "").first! == ("Stripe-Signature", "t=\(now),v1=\(v1(now))"))
    }

    @Test func wrongSecretTamperedBodyOrOtherTimestamp() {
        #expect(throws: SignatureError.mismatch) {
            try verify(verifier, ["Stripe-Signature": "t=\(now),v1=\(v1(now, key: "x"))"], body: body, now: now)
        }
        #expect(throws: SignatureError.mismatch) {
            try verify(verifier, ["Stripe-Signature": "t=\(now),v1=\(v1(now))"], body: body + [0x20], now: now)
        }
        #expect(throws: SignatureError.mismatch) { try verify(verifier, ["Stripe-Signature": "t=\(now + 1),v1=\(v1(now))"], body: body, now: now) }
    }

    @Test func timestampTolerance() throws {
        try verify(verifier, ["Stripe-Signature": "t=\(now - 300),v1=\(v1(now - 300))"], body: body, now: now)
        #expect { try verify(verifier, ["Stripe-Signature": "t=\(now - 301),v1=\(v1(now - 301))"], body: body, now: now) } throws: {
            "\($0)".contains("timestamp is out of range: 301 s old")
        }
        #expect { try verify(verifier, ["Stripe-Signature": "t=\(now + 301),v1=\(v1(now + 301))"], body: body, now: now) } throws: {
            "\($0)".contains("in the future")
        }
    }

    @Test func garbledHeaders() {
        #expect(throws: SignatureError.missingHeader("Stripe-Signature")) { try verify(verifier, [:], body: body, now: now) }
        #expect { try verify(verifier, ["Stripe-Signature": "v1=\(v1(now))"], body: body, now: now) } throws: { "\($0)".contains("no t=") }
        #expect { try verify(verifier, ["Stripe-Signature": "t=\(now)"], body: body, now: now) } throws: { "\($0)".contains("no v1=") }
        #expect { try verify(verifier, ["Stripe-Signature": "garbage"], body: body, now: now) } throws: { "\($0)".contains("must look like") }
        #expect { try verify(verifier, ["Stripe-Signature": "t=\(now),v1=\(v1(now).dropLast(2))"], body: body, now: now) } throws: {
            "\($0)".contains("no v1=")
        }
    }
}

@Suite struct StandardWebhooksSignatureTests {
    /// The Standard Webhooks libraries' published test vector.
    static let vectorSecret = Signing.standardWebhooksVectorSecret
    static let vectorID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let vectorTimestamp: Int64 = 1_614_265_330
    static let vectorBody = Array(#"{"test": 2432232314}"#.utf8)
    static let vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    func verifier(_ secretText: String = vectorSecret) -> SignatureVerifier {
        SignatureVerifier(signature: .init(scheme: .standardWebhooks), secrets: [secret(secretText)])
    }

    func headers(_ signature: String = vectorSignature, id: String = vectorID, timestamp: Int64 = vectorTimestamp) -> [String: String] {
        ["webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature]
    }

    @Test func publishedVector() throws {
        try verify(verifier(), headers(), body: Self.vectorBody, now: Self.vectorTimestamp)
        let signed = verifier().headers(for: Self.vectorBody, now: Self.vectorTimestamp, deliveryID: Self.vectorID)
        #expect(signed.last! == ("webhook-signature", Self.vectorSignature))
    }

    @Test func secretWithoutPrefixToo() throws {
        try verify(verifier(String(Self.vectorSecret.dropFirst(6))), headers(), body: Self.vectorBody, now: Self.vectorTimestamp)
    }

    @Test func severalSignaturesOneValid() throws {
        try verify(
            verifier(), headers("v1,bm9wZQ== v2,abc v1,\(String(repeating: "A", count: 43))= \(Self.vectorSignature)"),
            body: Self.vectorBody, now: Self.vectorTimestamp)
    }

    @Test func refusals() {
        let now = Self.vectorTimestamp
        #expect(throws: SignatureError.mismatch) {
            try verify(verifier("whsec_" + Data("other-key".utf8).base64EncodedString()), headers(), body: Self.vectorBody, now: now)
        }
        #expect(throws: SignatureError.mismatch) { try verify(verifier(), headers(), body: Self.vectorBody + [0x20], now: now) }
        #expect(throws: SignatureError.mismatch) { try verify(verifier(), headers(id: "msg_other"), body: Self.vectorBody, now: now) }
        #expect(throws: SignatureError.missingHeader("webhook-id")) {
            try verify(verifier(), ["webhook-timestamp": "1", "webhook-signature": "v1,x"], body: [], now: now)
        }
        #expect { try verify(verifier(), headers("v2,abc"), body: Self.vectorBody, now: now) } throws: { "\($0)".contains("no v1,") }
        #expect { try verify(verifier(), headers(), body: Self.vectorBody, now: now + 301) } throws: { "\($0)".contains("301 s old") }
        #expect { try verify(verifier(), headers(), body: Self.vectorBody, now: now - 301) } throws: { "\($0)".contains("in the future") }
    }

    @Test func configRefusesANonBase64Secret() {
        let loader = PlatformFileParser(environment: ["SW": "whsec_not base64!"])
        #expect {
            try loader.parse(yaml: "platform: sw\nsecret_env: SW\nsignature: { scheme: standard-webhooks }\n", file: "sw.yaml")
        } throws: { error in
            (error as? PlatformFileError)?.problems.contains { $0.key == "secret_env" && $0.message.contains("not whsec_<base64>") } == true
        }
    }
}
