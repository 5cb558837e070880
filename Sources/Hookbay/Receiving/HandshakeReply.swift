import Crypto
import HookbayJSON

/// The answers to senders' endpoint handshakes (a platform file's `handshake:`): Slack's `url_verification` and
/// Zoom's `endpoint.url_validation` come as signed deliveries (checked like any other first); Meta's `hub.challenge`
/// and X's CRC come as `GET`s. A handshake is answered, counted, and never queued.
///
/// What the sender sends back is bounded (``maxChallengeBytes``); a handshake that is malformed is a `400`.
public enum HandshakeReply {
    /// The longest challenge or token echoed.
    public static let maxChallengeBytes = 512

    /// For a signed delivery: the JSON answer when `body` is the platform's handshake, `nil` when it is an ordinary
    /// delivery (then it goes on through the checks).
    /// - Parameter secret: the platform's first active secret (Zoom's encrypted token is made with it).
    public static func post(
        _ handshake: PlatformConfig.Handshake, body: some BidirectionalCollection<UInt8>, secret: [UInt8]
    ) throws(WebhookError) -> String? {
        let marker: [UInt8]
        switch handshake {
        case .slack: marker = Array("url_verification".utf8)
        case .zoom: marker = Array("endpoint.url_validation".utf8)
        case .meta, .twitterCRC: return nil
        }
        // Every delivery of such a platform is looked at: a byte search first, a parse only when it may be one.
        guard Self.contains(body, marker), case .object(let members)? = try? JSONParser.parse(Array(body)) else { return nil }
        switch handshake {
        case .slack:
            guard members["type"] == .string("url_verification") else { return nil }
            let challenge = try Self.bounded(members["challenge"], "url_verification's challenge")
            return Self.json(["challenge": .string(challenge)])
        case .zoom:
            guard members["event"] == .string("endpoint.url_validation") else { return nil }
            guard case .object(let payload)? = members["payload"] else {
                throw .invalidPayload("endpoint.url_validation needs payload.plainToken")
            }
            let plain = try Self.bounded(payload["plainToken"], "endpoint.url_validation's payload.plainToken")
            let mac = HMAC<SHA256>.authenticationCode(for: Array(plain.utf8), using: SymmetricKey(data: secret))
            return Self.json(["plainToken": .string(plain), "encryptedToken": .string(Hex.encode(Array(mac)))])
        case .meta, .twitterCRC:
            return nil
        }
    }

    /// A `GET` to the platform's URL: the answer (its content type and body), or why there is none.
    /// - Parameters:
    ///   - query: a query parameter's value by name.
    ///   - secret: the platform's first active secret (X signs the CRC token with it).
    ///   - token: Meta's verify token (`handshake_token_env`).
    public static func get(
        _ handshake: PlatformConfig.Handshake?, platform: String, query: (String) -> String?, secret: [UInt8]?, token: [UInt8]?
    ) throws(WebhookError) -> (contentType: String, body: String) {
        switch handshake {
        case .meta:
            guard query("hub.mode") == "subscribe", let given = query("hub.verify_token"), let challenge = query("hub.challenge") else {
                throw WebhookError(
                    .notFound, .notFound, "platform '\(platform)' answers GET only to hub.mode=subscribe with hub.verify_token and hub.challenge")
            }
            let echoed = try Self.bounded(.string(challenge), "hub.challenge")
            guard let token, ConstantTime.equalSecrets(given.utf8, token) else {
                throw WebhookError(.forbidden, .forbidden, "hub.verify_token does not match platform '\(platform)'s handshake token")
            }
            return ("text/plain; charset=utf-8", echoed)
        case .twitterCRC:
            guard let crc = query("crc_token") else {
                throw WebhookError(.notFound, .notFound, "platform '\(platform)' answers GET only with crc_token")
            }
            let token = try Self.bounded(.string(crc), "crc_token")
            // The answer is the HMAC of what the caller chose, under the key deliveries are signed with, before anyone
            // is authenticated: token characters only, so it can never be the MAC of a body (JSON needs `{`, a form
            // field's JSON `{` or `%`).
            guard token.utf8.allSatisfy(Self.isTokenByte) else {
                throw .invalidPayload("crc_token may hold only letters, digits and - . _ ~ + / =")
            }
            guard let secret else { throw .secretUnavailable(platform) }
            let mac = HMAC<SHA256>.authenticationCode(for: Array(token.utf8), using: SymmetricKey(data: secret))
            return ("application/json", Self.json(["response_token": .string("sha256=" + Base64.encode(Array(mac)))]))
        case .slack, .zoom, nil:
            throw WebhookError(.notFound, .notFound, "platform '\(platform)' has no GET handshake; deliveries are POSTed")
        }
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "-._~+/=".utf8.contains(byte)
        }
    }

    /// A non-empty string of at most ``maxChallengeBytes``.
    private static func bounded(_ value: JSONValue?, _ name: String) throws(WebhookError) -> String {
        guard case .string(let text)? = value, !text.isEmpty, text.utf8.count <= Self.maxChallengeBytes else {
            throw .invalidPayload("\(name) must be a string of 1 to \(Self.maxChallengeBytes) bytes")
        }
        return text
    }

    private static func json(_ members: [String: JSONValue]) -> String {
        String(decoding: CanonicalJSON.encode(.object(members)), as: UTF8.self)
    }

    private static func contains(_ haystack: some BidirectionalCollection<UInt8>, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        var index = haystack.startIndex
        while let found = haystack[index...].firstIndex(of: first) {
            if haystack[found...].starts(with: needle) { return true }
            index = haystack.index(after: found)
        }
        return false
    }
}
