/// The Redis key names of one platform. Every key carries the hash tag `{platform}`, so all of a platform's keys
/// live in one Redis Cluster slot and a Lua script may touch them together.
public struct QueueKeys: Sendable, Equatable {
    /// The consumer group every worker joins.
    public static let consumerGroup = "webhook-processors"

    public let platform: String

    public init(platform: String) { self.platform = platform }

    /// `webhooks:incoming:{platform}`: accepted events awaiting processing.
    public var incoming: String { "webhooks:incoming:{\(platform)}" }
    /// `webhooks:dlq:{platform}`: events that failed for good.
    public var deadLetter: String { "webhooks:dlq:{\(platform)}" }
    /// `webhooks:processed:{platform}`: count of events applied, across all instances.
    public var processedCounter: String { "webhooks:processed:{\(platform)}" }
    /// `webhooks:retry:{platform}`: sorted set of entry ids waiting for a retry, scored by when it is due (Unix ms).
    public var retrySchedule: String { "webhooks:retry:{\(platform)}" }
    /// `webhooks:attempts:{platform}`: hash of entry id → failed attempts so far.
    public var attempts: String { "webhooks:attempts:{\(platform)}" }
    /// `webhooks:interrupted:{platform}`: hash of entry id → deliveries of it, processed alone after its consumer
    /// stopped without settling it, that did not settle either (each crashed, was killed or hung its worker).
    public var interrupted: String { "webhooks:interrupted:{\(platform)}" }
    /// `webhooks:ratelimit:{platform}`: the platform's shared token bucket (`rate_limit.scope: global`), a hash of
    /// `tokens` and `at` (Unix ms of the last take), gone once it would be full again.
    public var rateLimit: String { "webhooks:ratelimit:{\(platform)}" }
    /// `webhook:hash:{platform}:<event_id>`: dedup marker holding the stream id, with the platform's TTL.
    public func dedup(eventID: String) -> String { "webhook:hash:{\(platform)}:\(eventID)" }
}
