import Crypto
import Foundation
import HookbayTestSupport
import Testing

@testable import Hookbay

/// The general `hmac` scheme, `token`, and the sender presets (slack, shopify, gitlab, zoom), against the senders'
/// own published examples where there is one.
@Suite struct SenderSchemeTests {
    static let parser = PlatformFileParser(environment: ["S": "s3cret", "SLACK": "8f742231b10e8888abcd99yyyzzz85a5"])

    static func platform(_ signature: String, secret: String = "S") throws -> PlatformConfig {
        try parser.parse(yaml: "platform: p\nsecret_env: \(secret)\nsignature: \(signature)\n", file: "p.yaml")
    }

    static func problems(_ signature: String) -> [String] {
        do {
            _ = try parser.parse(yaml: "platform: p\nsecret_env: S\nsignature: \(signature)\n", file: "p.yaml")
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    static func verifier(_ config: PlatformConfig) -> SignatureVerifier {
        SignatureVerifier(signature: config.signature, secrets: config.secrets)
    }

    /// Slack's worked example (docs.slack.dev "Verifying requests from Slack"; the same body is in slack_sdk's tests).
    static let slackBody =
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar"
        + "&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com"
        + "%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"

    @Test func slacksPublishedExampleVerifies() throws {
        let slack = try Self.platform("{ scheme: slack }", secret: "SLACK")
        #expect(slack.signature.header == "X-Slack-Signature")
        #expect(slack.signature.timestampHeader == "X-Slack-Request-Timestamp")
        let headers = [
            "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", "X-Slack-Request-Timestamp": "1531420618",
        ]
        let body = Array(Self.slackBody.utf8)
        try verify(Self.verifier(slack), headers, body: body, now: 1_531_420_618)
        // Five minutes either way, not more: a replay of the same request later is refused.
        try verify(Self.verifier(slack), headers, body: body, now: 1_531_420_618 + 300)
        #expect(throws: SignatureError.self) { try verify(Self.verifier(slack), headers, body: body, now: 1_531_420_618 + 301) }
        #expect(throws: SignatureError.mismatch) { try verify(Self.verifier(slack), headers, body: body + [0x20], now: 1_531_420_618) }
        // The timestamp is signed: another one with the same signature is refused.
        var moved = headers
        moved["X-Slack-Request-Timestamp"] = "1531420619"
        #expect(throws: SignatureError.mismatch) { try verify(Self.verifier(slack), moved, body: body, now: 1_531_420_618) }
        moved["X-Slack-Request-Timestamp"] = nil
        #expect(throws: SignatureError.missingHeader("X-Slack-Request-Timestamp")) {
            try verify(Self.verifier(slack), moved, body: body, now: 1_531_420_618)
        }
        for stamp in ["-9223372036854775808", "99999999999999999999", "+1531420618", " 1531420618", ""] {
            moved["X-Slack-Request-Timestamp"] = stamp
            #expect(throws: SignatureError.self, "\(stamp)") { try verify(Self.verifier(slack), moved, body: body, now: 1_531_420_618) }
        }
        // Hookbay's own headers (hookbay sign) verify.
        let signed = Dictionary(Self.verifier(slack).headers(for: body, now: 1_531_420_618, deliveryID: "").map { ($0.0, $0.1) }) { a, _ in a }
        #expect(signed["X-Slack-Signature"] == headers["X-Slack-Signature"])
    }

    /// The example of Shopify's own library (shopify-api-js, webhooks validate tests).
    @Test func shopifysLibraryExampleVerifies() throws {
        let shopify = try PlatformFileParser(environment: ["S": "test_secret_key"]).parse(
            yaml: "platform: p\nsecret_env: S\nsignature: { scheme: shopify }\n", file: "p.yaml")
        let body = Array(#"{"foo": "bar"}"#.utf8)
        try verify(Self.verifier(shopify), ["X-Shopify-Hmac-Sha256": "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="], body: body)
        #expect(throws: SignatureError.mismatch) {
            try verify(Self.verifier(shopify), ["X-Shopify-Hmac-Sha256": "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="], body: body + [0x20])
        }
        #expect(throws: SignatureError.self) { try verify(Self.verifier(shopify), ["X-Shopify-Hmac-Sha256": "not base64!"], body: body) }
    }

    @Test func aSharedTokenIsComparedWithEveryActiveSecret() throws {
        let gitlab = try PlatformFileParser(environment: ["S": "gitlab-token-0123456789"]).parse(
            yaml: "platform: p\nsecret_env: S\nsignature: { scheme: gitlab }\n", file: "p.yaml")
        let rotating = SignatureVerifier(signature: gitlab.signature, secrets: [secret("gitlab-token-old-0123"), secret("gitlab-token-0123456789")])
        try verify(rotating, ["X-Gitlab-Token": "gitlab-token-0123456789"], body: [])
        try verify(rotating, ["X-Gitlab-Token": "gitlab-token-old-0123"], body: [])
        for wrong in ["gitlab-token-012345678", "gitlab-token-0123456789 ", "", String(repeating: "t", count: 4096)] {
            #expect(throws: SignatureError.tokenMismatch("X-Gitlab-Token"), "\(wrong)") { try verify(rotating, ["X-Gitlab-Token": wrong], body: []) }
        }
        #expect(throws: SignatureError.missingHeader("X-Gitlab-Token")) { try verify(rotating, [:], body: []) }
        #expect(throws: SignatureError.self) { try verify(rotating, ["X-Gitlab-Token": String(repeating: "t", count: 4097)], body: []) }
        let token = try PlatformFileParser(environment: ["S": "api-key-0123456789abcdef"]).parse(
            yaml: "platform: p\nsecret_env: S\nsignature: { scheme: token, header: X-Api-Key }\n", file: "p.yaml")
        try verify(Self.verifier(token), ["X-Api-Key": "api-key-0123456789abcdef"], body: [])
        // A short token is refused at load: it is guessed, not computed.
        #expect(Self.problems("{ scheme: token, header: X-Api-Key }").contains { $0.contains("shorter than 16 bytes") })
    }

    @Test func zoomSignsLikeSlackUnderItsOwnHeaders() throws {
        let zoom = try Self.platform("{ scheme: zoom }")
        let body = Array(#"{"event":"meeting.updated","payload":{"object":{"uuid":"u1"}}}"#.utf8)
        let mac = hmacHex(Array("v0:1739923528:".utf8) + body, key: Array("s3cret".utf8))
        try verify(Self.verifier(zoom), ["x-zm-signature": "v0=" + mac, "x-zm-request-timestamp": "1739923528"], body: body, now: 1_739_923_528)
        // Either case of hex.
        try verify(
            Self.verifier(zoom), ["x-zm-signature": "v0=" + mac.uppercased(), "x-zm-request-timestamp": "1739923528"], body: body, now: 1_739_923_528)
        #expect(throws: SignatureError.self) {
            try verify(Self.verifier(zoom), ["x-zm-signature": mac, "x-zm-request-timestamp": "1739923528"], body: body, now: 1_739_923_528)
        }
    }

    @Test func anyHMACAsTheFileDescribesIt() throws {
        let key = SymmetricKey(data: Array("s3cret".utf8))
        let body = Array(#"{"a":1}"#.utf8)
        // SHA-1, base64, a header and text on both sides of the body.
        let sha1 = try Self.platform(
            #"{ scheme: hmac, algorithm: sha1, header: X-Sig, encoding: base64, signed_content: "{header:X-Id}.{body}.end{{x}}" }"#)
        let message1 = Array("42.".utf8) + body + Array(".end{x}".utf8)
        let mac1 = Data(HMAC<Insecure.SHA1>.authenticationCode(for: message1, using: key)).base64EncodedString()
        try verify(Self.verifier(sha1), ["X-Sig": mac1, "X-Id": "42"], body: body)
        #expect(throws: SignatureError.mismatch) { try verify(Self.verifier(sha1), ["X-Sig": mac1, "X-Id": "43"], body: body) }
        #expect(throws: SignatureError.missingHeader("X-Id")) { try verify(Self.verifier(sha1), ["X-Sig": mac1], body: body) }
        // SHA-512, hex with a prefix, a timestamp window.
        let sha512 = try Self.platform(
            #"{ scheme: hmac, algorithm: sha512, header: X-Sig, prefix: "sha512=", signed_content: "{header:X-Time}.{body}", timestamp: { header: X-Time, tolerance_seconds: 60 } }"#
        )
        let mac512 = Data(HMAC<SHA512>.authenticationCode(for: Array("1000.".utf8) + body, using: key)).map { String(format: "%02x", $0) }.joined()
        try verify(Self.verifier(sha512), ["X-Sig": "sha512=" + mac512, "X-Time": "1000"], body: body, now: 1060)
        #expect(throws: SignatureError.self) {
            try verify(Self.verifier(sha512), ["X-Sig": "sha512=" + mac512, "X-Time": "1000"], body: body, now: 1061)
        }
        // A SHA-256 MAC is the wrong length for SHA-512.
        #expect(throws: SignatureError.self) {
            try verify(
                Self.verifier(sha512), ["X-Sig": "sha512=" + hmacHex(body, key: Array("s3cret".utf8)), "X-Time": "1000"], body: body, now: 1000)
        }
        // A header value may not hold the separator next to it: "42.a" + "b" would sign as "42" + "a.b".
        let moved = Data(HMAC<Insecure.SHA1>.authenticationCode(for: Array("42.a.b".utf8), using: key)).base64EncodedString()
        #expect(throws: SignatureError.self) { try verify(Self.verifier(sha1), ["X-Sig": moved, "X-Id": "42.a"], body: Array("b.end{x}".utf8)) }
        // Hex digits only, either case: no control byte stands in for one.
        #expect(Hex.decode(anyCase: Array("0aF9".utf8)) == [0x0A, 0xF9])
        for bad in [[0x10, 0x30], [0x30, 0x47], [0x40, 0x30], [0x30]] as [[UInt8]] { #expect(Hex.decode(anyCase: bad) == nil) }
        // What hookbay sign prints verifies, for each.
        for config in [sha1, sha512] {
            let verifier = Self.verifier(config)
            let values = ["X-Id": "7"]
            #expect(verifier.missingSignedHeaders(given: [:]) == (config.signature.algorithm == .sha1 ? ["X-Id"] : []))
            let signed = Dictionary(verifier.headers(for: body, now: 1000, deliveryID: "", values: values).map { ($0.0, $0.1) }) { a, _ in a }
            try verify(verifier, signed.merging(values) { a, _ in a }, body: body, now: 1000)
        }
    }

    @Test func platformFilesSayWhatIsWrong() {
        let cases: [(String, String)] = [
            ("{ scheme: hmac }", "needs header"),
            ("{ scheme: token }", "needs header"),
            ("{ scheme: hmac, header: X-S, algorithm: md5 }", "sha1, sha256 or sha512"),
            (#"{ scheme: hmac, header: X-S, signed_content: "{header:X-T}" }"#, "{body} once"),
            (#"{ scheme: hmac, header: X-S, signed_content: "{body}{body}" }"#, "more than once"),
            (#"{ scheme: hmac, header: X-S, signed_content: "{bogus}{body}" }"#, "unknown placeholder"),
            (#"{ scheme: hmac, header: X-S, signed_content: "{header:Bad Name}{body}" }"#, "not a valid HTTP header name"),
            (#"{ scheme: hmac, header: X-S, signed_content: "{body}}" }"#, "closes nothing"),
            (#"{ scheme: hmac, header: X-S, signed_content: "{body" }"#, "never closed"),
            ("{ scheme: hmac, header: X-S, timestamp: { tolerance_seconds: 5 } }", "timestamp.header"),
            ("{ scheme: github, algorithm: sha1 }", "only applies to schemes hmac"),
            ("{ scheme: gitlab, prefix: x }", "only applies to schemes"),
            ("{ scheme: stripe, signed_content: \"{body}\" }", "only applies to schemes hmac"),
            ("{ scheme: slack, max_age_seconds: 5 }", "only applies to scheme hmac-sha256"),
            // A timestamp the MAC does not cover could be rewritten, and the delivery replayed for ever.
            ("{ scheme: hmac, header: X-S, timestamp: { header: X-Time } }", "must be signed too"),
            (#"{ scheme: slack, signed_content: "{body}" }"#, "must be signed too"),
            ("{ scheme: slack, timestamp: { header: X-Other } }", "must be signed too"),
            ("{ scheme: shopify, tolerance_seconds: 60 }", "has no effect"),
            ("{ scheme: slack, tolerance_seconds: 60, timestamp: { header: X-Slack-Request-Timestamp, tolerance_seconds: 30 } }", "given twice"),
            (#"{ scheme: hmac, header: X-S, signed_content: "{header:A}{body}" }"#, "right before {body}"),
            (#"{ scheme: hmac, header: X-S, signed_content: "{body}{header:A}" }"#, "right after {body}"),
            (#"{ scheme: hmac, header: X-S, signed_content: "{header:A}{header:B}.{body}" }"#, "side by side"),
        ]
        for (signature, expected) in cases {
            let problems = Self.problems(signature)
            #expect(problems.contains { $0.contains(expected) }, "\(signature): \(problems)")
        }
        let long = String(repeating: "x", count: 600)
        #expect(Self.problems(#"{ scheme: hmac, header: X-S, signed_content: "\#(long){body}" }"#).contains { $0.contains("longer than") })
        let many = (0..<9).map { "{header:X-\($0)}" }.joined(separator: ".")
        #expect(Self.problems(#"{ scheme: hmac, header: X-S, signed_content: "\#(many){body}" }"#).contains { $0.contains("more than 8") })
        // Presets take overrides.
        let slow = try? Self.platform("{ scheme: slack, tolerance_seconds: 60, header: X-Other }")
        #expect(slow?.signature.toleranceSeconds == 60 && slow?.signature.header == "X-Other" && slow?.signature.prefix == "v0=")
    }

    @Test func templatesParseAndPrintBack() throws {
        let content = try SignedContent.parse("v0:{header:X-Slack-Request-Timestamp}:{body}")
        #expect(content.beforeBody == [.text(Array("v0:".utf8)), .header("X-Slack-Request-Timestamp"), .text(Array(":".utf8))])
        #expect(content.afterBody.isEmpty)
        #expect(content.description == "v0:{header:X-Slack-Request-Timestamp}:{body}")
        #expect(content == PlatformConfig.Signature(scheme: .slack).signedContent)
        let braces = try SignedContent.parse("{{{body}}}")
        #expect(braces.beforeBody == [.text([UInt8(ascii: "{")])] && braces.afterBody == [.text([UInt8(ascii: "}")])])
        #expect(try SignedContent.parse(braces.description) == braces)
        #expect(try SignedContent.parse("{body}") == .body)
        // A brace followed by a combining mark prints back escaped.
        let combining = try SignedContent.parse("{{\u{301}{body}")
        #expect(try SignedContent.parse(combining.description) == combining)
    }
}
