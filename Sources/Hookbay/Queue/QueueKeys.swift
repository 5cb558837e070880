/// The Redis key names of one queue: a platform's, or one of its forwarding destinations' (a *lane*, named
/// `<platform>:<destination>`, see ``lane(platform:destination:)``). Every key carries the hash tag `{platform}`, so all
/// of a platform's keys, its destinations' included, live in one Redis Cluster slot and a Lua script may touch them
/// together.
public struct QueueKeys: Sendable, Equatable {
    /// The consumer group every worker joins.
    public static let consumerGroup = "webhook-processors"

    /// The queue's name as the ``WebhookQueue`` API takes it: a platform id, or a destination's lane.
    public let platform: String
    /// The platform whose hash tag the keys carry.
    public let owner: String
    /// The destination, for a forwarding lane.
    public let destination: String?

    public init(platform: String) {
        self.platform = platform
        if let (owner, destination) = Self.split(lane: platform) {
            self.owner = owner
            self.destination = destination
        } else {
            self.owner = platform
            self.destination = nil
        }
    }

    /// The queue name of a platform's forwarding destination: `<platform>:<destination>`. Both are `[a-z0-9_-]`, so a
    /// lane is never a platform id.
    public static func lane(platform: String, destination: String) -> String { "\(platform):\(destination)" }

    /// A lane's platform and destination; `nil` for a platform's own queue.
    public static func split(lane: String) -> (platform: String, destination: String)? {
        guard let colon = lane.utf8.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return (String(lane[..<colon]), String(lane[lane.index(after: colon)...]))
    }

    private func name(_ kind: String) -> String {
        if let destination { return "webhooks:forward-\(kind):{\(owner)}:\(destination)" }
        return "webhooks:\(kind):{\(owner)}"
    }

    /// `webhooks:incoming:{platform}`: accepted events awaiting processing; for a lane,
    /// `webhooks:forward:{platform}:<destination>`: deliveries awaiting their attempt.
    public var incoming: String {
        if let destination { return "webhooks:forward:{\(owner)}:\(destination)" }
        return "webhooks:incoming:{\(owner)}"
    }
    /// `webhooks:dlq:{platform}` (lane: `webhooks:forward-dlq:{platform}:<destination>`): entries that failed for good.
    public var deadLetter: String { self.name("dlq") }
    /// `webhooks:processed:{platform}`: count of events applied, across all instances (lane: deliveries settled by a
    /// 2xx, `webhooks:forward-processed:{platform}:<destination>`).
    public var processedCounter: String { self.name("processed") }
    /// `webhooks:retry:{platform}`: sorted set of entry ids waiting for a retry, scored by when it is due (Unix ms).
    public var retrySchedule: String { self.name("retry") }
    /// `webhooks:attempts:{platform}`: hash of entry id → failed attempts so far.
    public var attempts: String { self.name("attempts") }
    /// `webhooks:interrupted:{platform}`: hash of entry id → deliveries of it, processed alone after its consumer
    /// stopped without settling it, that did not settle either (each crashed, was killed or hung its worker).
    public var interrupted: String { self.name("interrupted") }
    /// `webhooks:ratelimit:{platform}`: the platform's shared token bucket (`rate_limit.scope: global`), a hash of
    /// `tokens` and `at` (Unix ms of the last take), gone once it would be full again.
    public var rateLimit: String { "webhooks:ratelimit:{\(owner)}" }
    /// `webhooks:body:{platform}:<ref>`: the body of the entry whose `envelope_ref` is `ref`, written apart from it and
    /// deleted with it: an event's request body (its stream or dead letters, see ``RedisWebhookQueue/enqueueScript``),
    /// or a forwarding delivery's body (a lane or its dead letters, written before the complete script).
    public func body(ref: String) -> String { "\(self.bodyPrefix)\(ref)" }
    /// What every body key of the platform starts with.
    public var bodyPrefix: String { "webhooks:body:{\(owner)}:" }
    /// `webhook:hash:{platform}:<event_id>`: dedup marker holding the stream id, with the platform's TTL.
    public func dedup(eventID: String) -> String { "webhook:hash:{\(owner)}:\(eventID)" }
}
