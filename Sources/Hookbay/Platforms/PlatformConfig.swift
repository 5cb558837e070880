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

            /// The header the scheme's signature travels in.
            public var defaultHeader: String {
                switch self {
                case .hmacSHA256: return "X-Webhook-Signature"
                case .github: return "X-Hub-Signature-256"
                case .stripe: return "Stripe-Signature"
                case .standardWebhooks: return "webhook-signature"
                }
            }

            /// Whether the scheme signs a timestamp (and so has a tolerance window).
            public var isTimestamped: Bool { self == .stripe || self == .standardWebhooks }
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

        public init(scheme: Scheme = .hmacSHA256) {
            self.scheme = scheme
            self.header = scheme.defaultHeader
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
    /// The file this platform was loaded from.
    public var sourceFile: String

    public init(id: String, secrets: [PlatformSecret], sourceFile: String) {
        self.id = id
        self.secrets = secrets
        self.sourceFile = sourceFile
    }
}
