import Foundation
import HTTPTypes
import HookbayJSON
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import Hookbay

/// The adapter's `validate` in the request path.
@Suite struct AdapterReceiveTests {
    @Test func adapterRefusalIs400WithItsMessage() async throws {
        let (app, gateway) = try ReceiveClient.app(files: ["n.yaml": Fixtures.platformYAML(id: "netflix", extra: "adapter: netflix")])
        try await app.test(.router) { client in
            let bad = #"{"event_type":"content_added","platform":"netflix","timestamp":"t","payload":{"content_id":"1","regions":"US"}}"#
            try ReceiveClient.expectError(
                try await ReceiveClient.post(client, body: bad), .badRequest, "invalid_payload",
                contains: "payload.regions must be an array of strings")
            let good = #"{"event_type":"content_added","platform":"netflix","timestamp":"t","payload":{"content_id":"1","regions":["US"]}}"#
            #expect(try await ReceiveClient.post(client, body: good).status == .accepted)
            #expect((gateway.queue as! InMemoryWebhookQueue).entries(platform: "netflix").count == 1)
        }
    }

    @Test func adapterAskingToRetryIs503() async throws {
        let plugin = try await TestPlugins.build(variant: "RETRY", name: "warming")
        let (app, gateway) = try ReceiveClient.app(files: [
            "n.yaml": Fixtures.platformYAML(id: "netflix", extra: "adapter: warming\nplugin_path: \(plugin)")
        ])
        try await app.test(.router) { client in
            let response = try await ReceiveClient.post(client, body: Fixtures.envelope(platform: "netflix"))
            try ReceiveClient.expectError(response, .serviceUnavailable, "adapter_unavailable", contains: "backend is warming up")
            #expect(response.headers[.retryAfter] == "5")
            #expect((gateway.queue as! InMemoryWebhookQueue).entries(platform: "netflix").isEmpty)
        }
    }
}
