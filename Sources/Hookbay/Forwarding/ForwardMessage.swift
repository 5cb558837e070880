import Crypto

/// One attempt's HTTP request to a destination: where, which headers, which body.
public struct ForwardMessage: Sendable {
    /// Sent with every delivery.
    public static let userAgent = "Hookbay-Forwarder/1"

    public var url: ForwardURL
    /// Content type, user agent, and the Standard Webhooks headers: `webhook-id` and `webhook-timestamp` always (a
    /// receiver de-duplicates by the id), `webhook-signature` when the destination signs.
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// The request for `delivery` to `destination`, attempted at `now` (Unix seconds).
    public init(_ delivery: ForwardDelivery, to destination: ForwardDestination, now: Int64) {
        self.init(webhookID: delivery.webhookID, body: delivery.body(destination.body), to: destination, now: now)
    }

    /// The request carrying `body` under `webhookID` to `destination`, attempted at `now` (Unix seconds).
    public init(webhookID id: String, body: [UInt8], to destination: ForwardDestination, now: Int64) {
        self.url = destination.url
        self.body = body
        var headers: [(String, String)] = [("content-type", "application/json"), ("user-agent", Self.userAgent)]
        if let signing = destination.signing {
            let keys = signing.secrets.compactMap { SignatureVerifier.key(for: $0, scheme: .standardWebhooks) }.map { SymmetricKey(data: $0) }
            headers += SignatureVerifier.standardWebhooksHeaders(body: self.body, keys: keys, id: id, timestamp: now)
        } else {
            headers += [("webhook-id", id), ("webhook-timestamp", String(now))]
        }
        self.headers = headers
    }
}
