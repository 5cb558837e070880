/// A downstream HTTP service that a platform's accepted events are forwarded to (`destinations:` in its platform
/// file): a search indexer, a cache purger, an analytics pipeline.
public struct ForwardDestination: Sendable, Equatable {
    /// What a delivery's body is.
    public enum Body: String, Sendable, CaseIterable {
        /// The canonical event as JSON (the envelope Hookbay queued). The default.
        case envelope
        /// The platform's original request body, byte for byte.
        case raw
        /// The adapter's content updates, as a JSON array.
        case updates
    }

    /// How deliveries are signed, when they are.
    public struct Signing: Sendable, Equatable {
        /// Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`); the only scheme.
        public enum Scheme: String, Sendable, CaseIterable {
            case standardWebhooks = "standard-webhooks"
        }

        public var scheme: Scheme
        /// The keys (`whsec_<base64>`, prefix optional); deliveries carry one signature per key, so a receiver can
        /// rotate.
        public var secrets: [PlatformSecret]
    }

    /// `[a-z0-9_-]{1,64}`, unique in its platform: names the destination's queue, dead letters and metrics.
    public var name: String
    /// Where deliveries are POSTed.
    public var url: ForwardURL
    /// The canonical event types forwarded; `nil` (the default): all.
    public var events: Set<CanonicalEventType>?
    public var body: Body = .envelope
    /// `nil`: deliveries go unsigned.
    public var signing: Signing?
    /// How long one attempt may take, connecting included. Default 10 s.
    public var timeoutMilliseconds: Int = 10_000
    /// Attempts and backoff. Default 8 attempts, 1 s base, 10 min cap.
    public var retry = RetryPolicy(maxAttempts: 8, baseDelayMilliseconds: 1000, maxDelayMilliseconds: 600_000)
    /// Deliveries to this destination under way at once, at most. Default 16.
    public var maxInFlight: Int = 16
    /// Deliveries its lane holds at most (waiting, under way or waiting for a retry); past it, a new event's delivery
    /// goes to the destination's dead letters at once. Default ``defaultMaxBacklog``.
    public var maxBacklog: Int = Self.defaultMaxBacklog
    public static let defaultMaxBacklog = 100_000
    /// Failed attempts in a row that open the circuit (attempts pause for a cool-down, then one probe). Default 5.
    public var circuitFailures: Int = 5
    /// The first cool-down; each failed probe doubles it, up to 10 minutes. Default 30 s.
    public var circuitCoolDownMilliseconds: Int = 30_000

    public init(name: String, url: ForwardURL) {
        self.name = name
        self.url = url
    }

    /// Whether events of `type` go to this destination.
    public func subscribes(to type: CanonicalEventType) -> Bool {
        self.events?.contains(type) ?? true
    }
}
