import Foundation
import HookbayTestSupport
import Testing

@testable import Hookbay

/// A forwarded delivery's request: its body by `body:`, its stable `webhook-id`, and Standard Webhooks signatures that
/// the gateway's own verifier (as a receiving Hookbay runs it) accepts, with every key of a rotation.
@Suite struct ForwardMessageTests {
    static let secrets = ForwardFixtures.secrets
    static func delivery(event: String = "evt-1", destination: String = "indexer", platform: String = "shop") -> ForwardDelivery {
        ForwardFixtures.delivery(event: event, destination: destination, platform: platform)
    }
    static func destination(body: ForwardDestination.Body = .envelope, signed: Bool = true) throws -> ForwardDestination {
        try ForwardFixtures.destination(body: body, signed: signed)
    }
    static func header(_ message: ForwardMessage, _ name: String) -> String? { ForwardFixtures.header(message, name) }

    @Test func signaturesVerifyWithEachKeyAsAReceivingHookbayChecksThem() throws {
        let now = Int64(Date().timeIntervalSince1970)
        let message = ForwardMessage(Self.delivery(), to: try Self.destination(), now: now)
        #expect(message.body == Array(#"{"event_type":"content_added"}"#.utf8))
        #expect(Self.header(message, "content-type") == "application/json")
        #expect(Self.header(message, "webhook-timestamp") == String(now))
        #expect(Self.header(message, "webhook-signature")?.split(separator: " ").count == 2)
        for secret in Self.secrets {
            let verifier = SignatureVerifier(
                signature: .init(scheme: .standardWebhooks), secrets: [PlatformSecret(bytes: Array(secret.utf8), source: "t")])
            #expect(throws: Never.self) {
                try verifier.verify(header: { Self.header(message, $0) }, body: message.body, now: now)
            }
            var tampered = message.body
            tampered[0] = UInt8(ascii: "[")
            #expect(throws: SignatureError.self) { try verifier.verify(header: { Self.header(message, $0) }, body: tampered, now: now) }
        }
    }

    @Test func theBodyIsWhatTheDestinationAsksFor() throws {
        #expect(ForwardMessage(Self.delivery(), to: try Self.destination(body: .raw), now: 1).body == Array(#"{"raw":true}"#.utf8))
        #expect(ForwardMessage(Self.delivery(), to: try Self.destination(body: .updates), now: 1).body == Array("[]".utf8))
        let unsigned = ForwardMessage(Self.delivery(), to: try Self.destination(signed: false), now: 7)
        #expect(Self.header(unsigned, "webhook-signature") == nil)
        #expect(Self.header(unsigned, "webhook-id") == Self.delivery().webhookID)
        #expect(Self.header(unsigned, "webhook-timestamp") == "7")
    }

    @Test func theWebhookIDIsStableAndDistinct() {
        let id = Self.delivery().webhookID
        #expect(id == Self.delivery().webhookID)
        #expect(id.hasPrefix("msg_") && id.count == 36)
        #expect(id != Self.delivery(event: "evt-2").webhookID)
        #expect(id != Self.delivery(destination: "cache").webhookID)
        #expect(id != Self.delivery(platform: "other").webhookID)
        // The parts are separated: ("ab", "c") and ("a", "bc") differ.
        #expect(Self.delivery(event: "c", destination: "ab").webhookID != Self.delivery(event: "bc", destination: "a").webhookID)
    }
}
