import Foundation

@testable import Hookbay

/// A delivery and a signing destination for the forwarding tests.
public enum ForwardFixtures {
    /// Two Standard Webhooks secrets, one with the `whsec_` prefix and one without (both valid).
    public static let secrets = [
        "whsec_" + Data("first key, 24 bytes long".utf8).base64EncodedString(), Data("second key".utf8).base64EncodedString(),
    ]

    public static func delivery(event: String = "evt-1", destination: String = "indexer", platform: String = "shop") -> ForwardDelivery {
        ForwardDelivery(
            platform: platform, destination: destination, eventID: event, eventType: .contentAdded,
            envelope: Array(#"{"event_type":"content_added"}"#.utf8), raw: Array(#"{"raw":true}"#.utf8), updates: Array("[]".utf8))
    }

    public static func destination(body: ForwardDestination.Body = .envelope, signed: Bool = true) throws -> ForwardDestination {
        var destination = ForwardDestination(name: "indexer", url: try ForwardURL.parse("https://indexer.example.com/hooks").get())
        destination.body = body
        if signed {
            destination.signing = .init(
                scheme: .standardWebhooks, secrets: Self.secrets.enumerated().map { PlatformSecret(bytes: Array($1.utf8), source: "test:\($0)") })
        }
        return destination
    }

    /// A header of `message`, by name in any case.
    public static func header(_ message: ForwardMessage, _ name: String) -> String? {
        message.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}
