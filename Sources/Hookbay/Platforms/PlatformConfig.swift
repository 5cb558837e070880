import HookbayJSON

/// One platform, as its YAML file in the config directory describes it, with its secrets resolved.
///
/// Every field has a documented default (see the README's "Platform files" table); the rest of the code never sees
/// YAML or environment variables.
public struct PlatformConfig: Sendable, Equatable {
    /// How a platform signs its deliveries.
    public struct Signature: Sendable, Equatable {
        /// The signature scheme.
        public enum Scheme: String, Sendable, Equatable, CaseIterable {
            /// The seed's: `<prefix><hex or base64 HMAC-SHA256 of the raw body>` in one header.
            case hmacSHA256 = "hmac-sha256"
            /// GitHub's: `X-Hub-Signature-256: sha256=<hex>` over the raw body.
            case github
            /// Stripe's: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]` over `"{t}.{body}"`.
            case stripe
            /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> ...` over
            /// `"{id}.{timestamp}.{body}"`, keyed by the base64 of a `whsec_` secret.
            case standardWebhooks = "standard-webhooks"
            /// Any HMAC, as the file says: `algorithm`, `header`, `prefix`, `encoding`, `signed_content`, `timestamp`.
            case hmac
            /// A shared token in a header, compared in constant time (no MAC).
            case token
            /// Slack: `X-Slack-Signature: v0=<hex>` over `v0:{X-Slack-Request-Timestamp}:{body}`, 5 minutes' window.
            case slack
            /// Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body>`.
            case shopify
            /// GitLab: the shared token in `X-Gitlab-Token`.
            case gitlab
            /// Zoom: `x-zm-signature: v0=<hex>` over `v0:{x-zm-request-timestamp}:{body}`, 5 minutes' window.
            case zoom

            /// The header the scheme's signature travels in (`hmac` and `token` have none: the file names it).
            public var defaultHeader: String {
                switch self {
                case .hmacSHA256: return "X-Webhook-Signature"
                case .github: return "X-Hub-Signature-256"
                case .stripe: return "Stripe-Signature"
                case .standardWebhooks: return "webhook-signature"
                case .hmac, .token: return ""
                case .slack: return "X-Slack-Signature"
                case .shopify: return "X-Shopify-Hmac-Sha256"
                case .gitlab: return "X-Gitlab-Token"
                case .zoom: return "x-zm-signature"
                }
            }

            /// How a delivery of the scheme is checked.
            public var family: Family {
                switch self {
                case .hmacSHA256, .github: return .singleMAC
                case .stripe: return .stripe
                case .standardWebhooks: return .standardWebhooks
                case .hmac, .slack, .shopify, .zoom: return .template
                case .token, .gitlab: return .token
                }
            }

            /// The ways a delivery is checked.
            public enum Family: Sendable {
                /// One HMAC-SHA256 of the body in one header (the seed's, GitHub's).
                case singleMAC
                case stripe
                case standardWebhooks
                /// An HMAC over ``SignedContent``, with an optional timestamp header (hmac and its presets).
                case template
                /// A shared token in a header.
                case token
            }
        }
        /// The hash of an `hmac` scheme's MAC.
        public enum Algorithm: String, Sendable, Equatable, CaseIterable {
            case sha1
            case sha256
            case sha512

            /// The MAC's length in bytes.
            public var byteCount: Int {
                switch self {
                case .sha1: return 20
                case .sha256: return 32
                case .sha512: return 64
                }
            }
        }
        /// How the MAC is written in the header.
        public enum Encoding: String, Sendable, Equatable, CaseIterable {
            case hex
            case base64
        }
        /// Default `hmac-sha256`.
        public var scheme: Scheme = .hmacSHA256
        /// The request header carrying the signature. Default `X-Webhook-Signature`.
        public var header: String = "X-Webhook-Signature"
        /// Text before the encoded MAC. Default `sha256=`.
        public var prefix: String = "sha256="
        /// Default `hex` (lowercase).
        public var encoding: Encoding = .hex
        /// Timestamped schemes: how far a signed timestamp may be from now, either way. Default 300 s.
        public var toleranceSeconds: Int = 300
        /// `hmac-sha256`: when set, the envelope's `timestamp` may be at most this old (and at most
        /// `toleranceSeconds` in the future). Default none.
        public var maxAgeSeconds: Int?
        /// Which bytes a compressed body's signature covers: the decoded body (default), or the bytes as sent.
        public enum SignedBody: String, Sendable, Equatable, CaseIterable {
            case decoded
            case encoded
        }
        /// Default `decoded`.
        public var signedBody: SignedBody = .decoded
        /// `hmac` and its presets: the MAC's hash. Default `sha256`.
        public var algorithm: Algorithm = .sha256
        /// `hmac` and its presets: what the MAC covers. Default the body alone.
        public var signedContent: SignedContent = .body
        /// `hmac` and its presets: the header holding the Unix seconds the sender signed, checked against
        /// `toleranceSeconds`. Default none (slack and zoom: their timestamp header).
        public var timestampHeader: String?

        /// A scheme with its sender's defaults (a preset such as `slack` filled in).
        public init(scheme: Scheme = .hmacSHA256) {
            self.scheme = scheme
            self.header = scheme.defaultHeader
            switch scheme {
            case .hmac, .shopify:
                self.prefix = ""
                self.encoding = scheme == .shopify ? .base64 : .hex
            case .slack, .zoom:
                let timestamp = scheme == .slack ? "X-Slack-Request-Timestamp" : "x-zm-request-timestamp"
                self.prefix = "v0="
                self.signedContent = SignedContent(
                    beforeBody: [.text(Array("v0:".utf8)), .header(timestamp), .text([UInt8(ascii: ":")])], afterBody: [])
                self.timestampHeader = timestamp
            case .hmacSHA256, .github, .stripe, .standardWebhooks, .token, .gitlab:
                break
            }
        }

        /// Whether deliveries carry a signed timestamp (and so have a tolerance window).
        public var isTimestamped: Bool {
            switch scheme.family {
            case .stripe, .standardWebhooks: return true
            case .template: return timestampHeader != nil
            case .singleMAC, .token: return false
            }
        }
    }

    /// Where the parts of an event come from in a delivery (`envelope:` in YAML). `nil` on a platform means the
    /// seed's envelope `{"event_type", "platform", "timestamp", "payload"}`, with its checks.
    public struct Envelope: Sendable, Equatable {
        /// A header, or a JSON pointer into the body.
        public enum Source: Sendable, Equatable {
            case header(String)
            case json(String)
        }
        /// Default `{ json: /event_type }`.
        public var eventType: Source = .json("/event_type")
        /// The platform's own delivery id; when set, deduplication keys on it. Default none.
        public var eventID: Source?
        /// JSON pointer to the payload object. Default `/payload`.
        public var payload: String = "/payload"
        /// Default none.
        public var timestamp: Source?

        public init() {}
    }

    /// Token-bucket settings.
    public struct RateLimit: Sendable, Equatable {
        /// Where the bucket is kept.
        public enum Scope: String, Sendable, CaseIterable {
            /// In each process: N gateways admit N times the rate (the default).
            case instance
            /// In Redis, shared by every gateway on it (taken in the enqueue script); on the embedded queue, the
            /// one process's bucket.
            case global
        }

        /// Sustained rate. Default 100 per minute.
        public var perMinute: Int
        /// Bucket size: how many may arrive at once after a quiet spell. Default = `perMinute`.
        public var burst: Int
        /// Default ``Scope/instance``.
        public var scope: Scope

        public init(perMinute: Int = 100, burst: Int? = nil, scope: Scope = .instance) {
            self.perMinute = perMinute
            self.burst = burst ?? perMinute
            self.scope = scope
        }
    }

    /// Id in URLs and Redis keys: `[a-z0-9_-]{1,64}`.
    public var id: String
    /// `false`: webhooks are answered 503 `platform_disabled` (receiving stops); events already accepted are still
    /// processed. Default `true`.
    public var enabled: Bool = true
    /// Whether workers process the platform's queue. `paused` leaves accepted events queued (receiving goes on) until it
    /// is `active` again, e.g. while a poisonous adapter is fixed. Default `active`.
    public var processing: Processing = .active

    /// Whether the platform's queue is processed.
    public enum Processing: String, Sendable, Equatable, CaseIterable {
        case active
        case paused
    }
    /// Adapter plugin name. Default `generic`.
    public var adapter: String = "generic"
    /// A plugin file to load this platform's adapter from, before the plugin directories. Default none.
    public var pluginPath: String?
    /// The platform's `adapter_config` mapping, as JSON, for its adapter. Default none.
    public var adapterConfig: JSONValue?
    /// The delivery's shape when it is not the seed's envelope. Default `nil` (the seed's).
    public var envelope: Envelope?
    /// Active HMAC keys: a signature by any of them passes (rotation).
    public var secrets: [PlatformSecret]
    /// Variables `secret_env` names that are unset; only a disabled platform loads with any. Default none.
    public var unsetSecretVariables: [String] = []
    /// The files `secret_file` names, as full paths: the reloader watches their content. Default none.
    public var secretFiles: [String] = []
    /// Default: `hmac-sha256` in `X-Webhook-Signature` as `sha256=<lowercase hex>`.
    public var signature = Signature()
    /// Default 100/min, burst 100.
    public var rateLimit = RateLimit()
    /// How long an event id is remembered for deduplication. Default 24 hours.
    public var dedupTTLSeconds: Int = 24 * 3600
    /// Dotted paths into `payload` that must be present and not null. Default none.
    public var requiredFields: [String] = []
    /// The platform's own event names mapped to canonical types. Default: the three canonical names, as themselves.
    public var eventTypes: [String: CanonicalEventType] = Dictionary(
        uniqueKeysWithValues: CanonicalEventType.allCases.map { ($0.rawValue, $0) }
    )
    /// Backoff for retryable processing failures. Default 5 attempts, 1 s base, 10 min cap.
    public var retry = RetryPolicy()
    /// Only these event types (the platform's own names) are queued; others are answered 200 `ignored`.
    /// Default `nil`: all mapped types.
    public var subscribe: Set<String>?
    /// The platform's own endpoint, as registered; stored, never fetched. Default none.
    public var url: String?
    /// Downstream services its accepted events are forwarded to. Default none.
    public var destinations: [ForwardDestination] = []
    /// How a sender proves the endpoint before it sends (answered, never queued). Default none.
    public enum Handshake: String, Sendable, Equatable, CaseIterable {
        /// A signed `{"type": "url_verification", "challenge": C}`: answered `{"challenge": C}`.
        case slack
        /// A signed `{"event": "endpoint.url_validation", "payload": {"plainToken": P}}`: answered
        /// `{"plainToken": P, "encryptedToken": hex HMAC-SHA256(secret, P)}`.
        case zoom
        /// `GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C`: answered `C` when `T` is the handshake token.
        case meta
        /// `GET ?crc_token=X`: answered `{"response_token": "sha256=" + base64 HMAC-SHA256(secret, X)}`.
        case twitterCRC = "twitter_crc"

        /// Whether the handshake comes as a `GET` (else as a signed `POST` delivery).
        public var isGET: Bool { self == .meta || self == .twitterCRC }
    }
    public var handshake: Handshake?
    /// `form`: the body is `application/x-www-form-urlencoded` and the envelope is the JSON in its field
    /// ``formField`` (Slack's interactive payloads). Default `nil`: the body is the JSON.
    public var formField: String?
    /// `meta`: the verify token the sender echoes (from `handshake_token_env`).
    public var handshakeToken: PlatformSecret?
    /// Only clients in these ranges may deliver (`403 ip_not_allowed` for others, before any signature work); the
    /// client is the connection's peer, or behind `--trusted-proxy` the `X-Forwarded-For` address. Default `nil`: any.
    public var allowIPs: [IPNetwork]?
    /// A `Content-Encoding` Hookbay can decode, as a platform file names it.
    public enum ContentCoding: String, Sendable, Equatable, Hashable, CaseIterable {
        /// `gzip` and its alias `x-gzip`.
        case gzip
        /// `deflate`: zlib-wrapped (RFC 9110), or a raw deflate stream.
        case deflate

        /// The coding a `Content-Encoding` value names, if Hookbay decodes it (any case).
        public init?<S: StringProtocol>(header value: S) {
            switch value.lowercased() {
            case "gzip", "x-gzip": self = .gzip
            case "deflate": self = .deflate
            default: return nil
            }
        }
    }
    /// The compressed bodies the platform accepts, inflated before the signature check (after it with
    /// `signature.signed_body: encoded`); any other `Content-Encoding` is `415 unsupported_encoding`. Default none.
    public var contentEncodings: Set<ContentCoding> = []
    /// The file this platform was loaded from.
    public var sourceFile: String

    public init(id: String, secrets: [PlatformSecret], sourceFile: String) {
        self.id = id
        self.secrets = secrets
        self.sourceFile = sourceFile
    }
}
