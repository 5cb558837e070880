import Foundation
import HookbayTestSupport
import Testing

@testable import Hookbay

/// What a hostile sender can put in a signature header before it is authenticated: integers at their extremes, a
/// thousand candidates, a header of megabytes. Each is refused with a clear 401 reason, never a trap, and the work done
/// does not grow with the number of candidates.
@Suite struct SignatureBoundsTests {
    let zeros = String(repeating: "0", count: 64)
    let zeroBase64 = "v1," + Data(count: 32).base64EncodedString()
    let now: Int64 = 1_764_979_200
    var stripe: SignatureVerifier { SignatureVerifier(signature: .init(scheme: .stripe), secrets: [secret("whsec_stripe")]) }
    var standard: SignatureVerifier {
        SignatureVerifier(signature: .init(scheme: .standardWebhooks), secrets: [secret("whsec_" + Data("standard-key".utf8).base64EncodedString())])
    }

    static let extremes = [
        "-9223372036854775808", "9223372036854775807", "-9223372036854775809", "99999999999999999999",
        "+1764979200", "0001764979200", "", " 1764979200", "1e9", "-", "0x10",
    ]

    @Test(arguments: extremes)
    func stripeTimestampExtremesAreRefused(text: String) {
        #expect(throws: SignatureError.self) {
            try verify(stripe, ["Stripe-Signature": "t=\(text),v1=\(zeros)"], body: [], now: now)
        }
    }

    @Test(arguments: extremes)
    func standardWebhooksTimestampExtremesAreRefused(text: String) {
        #expect(throws: SignatureError.self) {
            try verify(standard, ["webhook-id": "msg_1", "webhook-timestamp": text, "webhook-signature": zeroBase64], body: [], now: now)
        }
    }

    @Test func aTwentyDigitTimestampSaysWhatIsWrong() {
        #expect {
            try verify(stripe, ["Stripe-Signature": "t=99999999999999999999,v1=\(zeros)"], body: [], now: now)
        } throws: { "\($0)".contains("t= must be Unix seconds") }
        #expect {
            try verify(
                standard, ["webhook-id": "m", "webhook-timestamp": "-9223372036854775808", "webhook-signature": zeroBase64], body: [], now: now)
        } throws: { "\($0)".contains("webhook-timestamp must be Unix seconds") }
    }

    @Test func theToleranceCheckTakesAnyInt64() {
        for timestamp in [Int64.min, Int64.min + 1, -1, 0, Int64.max - 1, Int64.max] {
            for now in [Int64.min, -1, 0, self.now, Int64.max] {
                do {
                    try stripe.checkTimestamp(timestamp, now: now)
                    let (difference, overflow) = now.subtractingReportingOverflow(timestamp)
                    #expect(!overflow && difference.magnitude <= 300)
                } catch {
                    #expect("\(error)".contains("timestamp is out of range"))
                }
            }
        }
        #expect { try stripe.checkTimestamp(Int64.min, now: now) } throws: { "\($0)".contains("old") }
        #expect { try stripe.checkTimestamp(Int64.max, now: now) } throws: { "\($0)".contains("in the future") }
    }

    @Test func theEnvelopeAgeCheckTakesAnyInt64() throws {
        let verifier = SignatureVerifier(
            signature: {
                var s = PlatformConfig.Signature()
                s.maxAgeSeconds = 600
                return s
            }(), secrets: [secret("k")])
        let nowMilliseconds = now * 1000
        try verifier.checkAge(sentMilliseconds: nowMilliseconds - 599_000, nowMilliseconds: nowMilliseconds)
        for sent in [Int64.min, Int64.min / 1000 * 1000, -1, 0] {
            #expect { try verifier.checkAge(sentMilliseconds: sent, nowMilliseconds: nowMilliseconds) } throws: { "\($0)".contains("old") }
        }
        #expect { try verifier.checkAge(sentMilliseconds: Int64.max, nowMilliseconds: nowMilliseconds) } throws: { "\($0)".contains("future") }
        #expect { try verifier.checkAge(sentMilliseconds: Int64.max, nowMilliseconds: Int64.min) } throws: { "\($0)".contains("future") }
        #expect { try verifier.checkAge(sentMilliseconds: Int64.min, nowMilliseconds: Int64.max) } throws: { "\($0)".contains("old") }
    }

    @Test func aThousandCandidatesAreRefusedBeforeAnyMAC() {
        let stripeHeader = "t=\(now)," + Array(repeating: "v1=\(zeros)", count: 1000).joined(separator: ",")
        #expect { try verify(stripe, ["Stripe-Signature": stripeHeader], body: [], now: now) } throws: { "\($0)".contains("longer than") }
        let standardHeader = Array(repeating: zeroBase64, count: 1000).joined(separator: " ")
        #expect {
            try verify(standard, ["webhook-id": "m", "webhook-timestamp": "\(now)", "webhook-signature": standardHeader], body: [], now: now)
        } throws: { "\($0)".contains("longer than") }
    }

    @Test func moreThanSixteenCandidatesAreRefusedEvenWhenShort() {
        // 17 distinct short v1 values within the byte cap: the count cap alone refuses them.
        let short = (0..<17).map { _ in "v1=\(zeros)" }.joined(separator: ",")
        #expect { try verify(stripe, ["Stripe-Signature": "t=\(now),\(short)"], body: [], now: now) } throws: { "\($0)".contains("more than 16") }
        let entries = (0..<40).map { _ in "v0=x" }.joined(separator: ",")
        #expect { try verify(stripe, ["Stripe-Signature": "t=\(now),\(entries)"], body: [], now: now) } throws: { "\($0)".contains("entries") }
    }

    @Test func sixteenCandidatesWithTheValidOneLastVerify() throws {
        let body = Array("{}".utf8)
        let signed = stripe.headers(for: body, now: now, deliveryID: "")[0].1
        let valid = signed.split(separator: ",")[1]
        let header = "t=\(now)," + Array(repeating: "v1=\(zeros)", count: 15).joined(separator: ",") + ",\(valid)"
        try verify(stripe, ["Stripe-Signature": header], body: body, now: now)
    }

    @Test func aHugeHeaderIsRefusedForEveryScheme() {
        let huge = String(repeating: "a", count: SignatureVerifier.maxHeaderBytes + 1)
        let github = SignatureVerifier(signature: .init(scheme: .github), secrets: [secret("k")])
        #expect { try verify(github, ["X-Hub-Signature-256": huge], body: [], now: now) } throws: { "\($0)".contains("longer than 4096 bytes") }
        #expect { try verify(standard, ["webhook-id": huge, "webhook-timestamp": "1", "webhook-signature": "v1,x"], body: [], now: now) } throws: {
            "\($0)".contains("webhook-id is longer")
        }
    }

    /// Random headers over an alphabet rich in the separators, digits and signs the parsers look for: never a trap,
    /// never a pass.
    @Test func randomHeadersNeverVerify() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("tv01=,- +9whsec_AZaz/".utf8) + [0x00, 0xFF, 0x20]
        func random(_ length: Int) -> String {
            String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self)
        }
        let verifiers = [stripe, standard, SignatureVerifier(signature: .init(), secrets: [secret("k")])]
        for _ in 0..<5_000 {
            let verifier = verifiers.randomElement(using: &generator)!
            let headers = [
                verifier.signature.header: random(Int.random(in: 0...120, using: &generator)),
                "webhook-id": random(8),
                "webhook-timestamp": Bool.random(using: &generator) ? random(21) : String(Int64.random(in: .min ... .max, using: &generator)),
            ]
            #expect(throws: SignatureError.self) { try verify(verifier, headers, body: [], now: Int64.random(in: .min ... .max, using: &generator)) }
        }
    }
}
