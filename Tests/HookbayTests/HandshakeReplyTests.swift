import Testing

@testable import Hookbay

/// Senders' endpoint handshakes, against published vectors where there are some.
@Suite struct HandshakeReplyTests {
    @Test func slackGetsItsChallengeBack() throws {
        let body = Array(
            #"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#.utf8
        )
        #expect(try HandshakeReply.post(.slack, body: body, secret: []) == #"{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}"#)
        // An ordinary event (that merely mentions the word) goes on through the checks.
        let event = Array(#"{"type":"event_callback","event":{"text":"url_verification"}}"#.utf8)
        #expect(try HandshakeReply.post(.slack, body: event, secret: []) == nil)
        #expect(try HandshakeReply.post(.slack, body: Array("not json url_verification".utf8), secret: []) == nil)
        for bad in [#"{"type":"url_verification"}"#, #"{"type":"url_verification","challenge":""}"#, #"{"type":"url_verification","challenge":7}"#] {
            #expect(throws: WebhookError.self) { try HandshakeReply.post(.slack, body: Array(bad.utf8), secret: []) }
        }
        let long = #"{"type":"url_verification","challenge":"\#(String(repeating: "c", count: 513))"}"#
        #expect(throws: WebhookError.self) { try HandshakeReply.post(.slack, body: Array(long.utf8), secret: []) }
    }

    /// The vector of Elastic Filebeat's http_endpoint tests (Zoom publishes its example without the secret).
    @Test func zoomGetsItsTokenEncrypted() throws {
        let body = Array(#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}"#.utf8)
        let reply = try HandshakeReply.post(.zoom, body: body, secret: Array("secretValueTest".utf8))
        #expect(
            reply == #"{"encryptedToken":"70c1f2e2e6ca2d39297490d1f9142c7d701415ea8e6151f6562a08fa657a40ff","plainToken":"qgg8vlvZRS6UYooatFL8Aw"}"#)
        #expect(throws: WebhookError.self) {
            try HandshakeReply.post(.zoom, body: Array(#"{"event":"endpoint.url_validation","payload":{}}"#.utf8), secret: [1])
        }
        #expect(try HandshakeReply.post(.zoom, body: Array(#"{"event":"meeting.started"}"#.utf8), secret: [1]) == nil)
    }

    @Test func metaGetsItsChallengeForTheRightVerifyToken() throws {
        let query = ["hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "meatyhamhock"]
        let answer = try HandshakeReply.get(.meta, platform: "m", query: { query[$0] }, secret: nil, token: Array("meatyhamhock".utf8))
        #expect(answer.body == "1158201444" && answer.contentType.hasPrefix("text/plain"))
        #expect(throws: WebhookError.self) {
            try HandshakeReply.get(.meta, platform: "m", query: { query[$0] }, secret: nil, token: Array("meatyhamhock!".utf8))
        }
        var other = query
        other["hub.mode"] = "unsubscribe"
        #expect(throws: WebhookError.self) { try HandshakeReply.get(.meta, platform: "m", query: { other[$0] }, secret: nil, token: [1]) }
        // No token configured: nothing matches.
        #expect(throws: WebhookError.self) { try HandshakeReply.get(.meta, platform: "m", query: { query[$0] }, secret: nil, token: nil) }
    }

    /// The vector of a Twitter developer-relations example (X's own page gives the answer without its inputs).
    @Test func xGetsItsCRCResponseToken() throws {
        let query = ["crc_token": "9b4507b3-9040-4669-9ca3-6b94edb50553"]
        let answer = try HandshakeReply.get(
            .twitterCRC, platform: "x", query: { query[$0] }, secret: Array("z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu".utf8), token: nil)
        #expect(answer.body == #"{"response_token":"sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="}"#)
        #expect(throws: WebhookError.self) { try HandshakeReply.get(.twitterCRC, platform: "x", query: { _ in nil }, secret: [1], token: nil) }
        // Never the MAC of something that could be a delivery's body: an unauthenticated HMAC oracle under the
        // delivery key would sign any body the caller likes.
        for body in [#"{"event_type":"x"}"#, "payload=%7B%7D", "a b", "t=1,v1=0"] {
            #expect(throws: WebhookError.self, "\(body)") {
                try HandshakeReply.get(.twitterCRC, platform: "x", query: { $0 == "crc_token" ? body : nil }, secret: [1], token: nil)
            }
        }
        #expect(throws: WebhookError.self) { try HandshakeReply.get(nil, platform: "x", query: { query[$0] }, secret: [1], token: nil) }
    }
}
