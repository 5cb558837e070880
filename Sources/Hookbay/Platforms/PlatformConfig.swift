import HookbayJSON

/// One platform, as its YAML file in the config directory describes it, with its secrets resolved.
///
/// Every field has a documented default (see the README's "Platform files" table); the rest of the code never sees
/// YAML or environment variables.
public struct PlatformConfig: Sendable, Equatable {
    /// How a platform signs its deliveries.
    public struct Signature: Sendable, Equatable {
        /// The signature scheme. Only `hmac-sha256` (the seed's) so far.
        public enum Scheme: String, Sendable, Equatable, CaseIterable {
            case hmacSHA256 = "hmac-sha256"
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

        public init() {}
    }

    /// Token-bucket settings.
    public struct RateLimit: Sendable, Equatable {
        /// Sustained rate. Default 100 per minute.
        public var perMinute: Int
        /// Bucket size: how many may arrive at once after a quiet spell. Default = `perMinute`.
        public var burst: Int

        public init(perMinute: Int = 100, burst: Int? = nil) {
            self.perMinute = perMinute
            self.burst = burst ?? perMinute
        }
    }

    /// Id in URLs and Redis keys: `[a-z0-9_-]{1,64}`.
    public var id: String
    /// `false`: webhooks are answered 503 `platform_disabled`. Default `true`.
    public var enabled: Bool = true
    /// Adapter plugin name. Default `generic`.
    public var adapter: String = "generic"
    /// A plugin file to load this platform's adapter from, before the plugin directories. Default none.
    public var pluginPath: String?
    /// The platform's `adapter_config` mapping, as JSON, for its adapter. Default none.
    public var adapterConfig: JSONValue?
    /// Active HMAC keys: a signature by any of them passes (rotation).
    public var secrets: [PlatformSecret]
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
    /// The file this platform was loaded from.
    public var sourceFile: String

    public init(id: String, secrets: [PlatformSecret], sourceFile: String) {
        self.id = id
        self.secrets = secrets
        self.sourceFile = sourceFile
    }
}
