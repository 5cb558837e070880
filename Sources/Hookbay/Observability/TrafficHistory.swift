import HookbayJSON
import Synchronization

/// The last few minutes of each platform's traffic, one point per sample of ``QueueDepthMonitor``: what the console's
/// charts draw (`GET /api/v1/webhooks/metrics/history`).
///
/// A point holds what happened in the interval before it (counts) and the queue's levels at its time. It is made from
/// cumulative counters, so sampling costs the receive path nothing; its JSON is encoded once per sample, so a client
/// asking for it in a loop costs a copy, not an encoding.
public final class TrafficHistory: Sendable {
    /// One platform in one interval.
    public struct Counts: Sendable, Equatable {
        public var received = 0
        public var accepted = 0
        /// Refused for any reason but the rate limit.
        public var refused = 0
        public var rateLimited = 0
        public var duplicates = 0
        /// Applied by any worker (the queue's count, not only this process's).
        public var processed = 0
        /// Levels at the point's time.
        public var pending = 0
        public var deadLetter = 0
    }

    /// One sample.
    public struct Point: Sendable, Equatable {
        /// Unix milliseconds.
        public var at: Int64
        public var platforms: [String: Counts]
    }

    /// One platform's cumulative counts at a sample.
    struct Totals: Sendable, Equatable {
        var received = 0
        var accepted = 0
        var refused = 0
        var rateLimited = 0
        var duplicates = 0
        /// The queue's statistics, when they have ever been read.
        var queue: PlatformQueueStats?
    }

    struct State {
        var points: BoundedRing<Point>
        /// The previous sample's totals; `nil` before the first (which only sets the baseline).
        var last: [String: Totals]?
        var encoded: [UInt8]
    }

    /// Points kept: 5 minutes at the monitor's 5 seconds.
    public static let defaultCapacity = 60
    /// Seconds between two points, as the JSON says.
    public let intervalSeconds: Int64
    private let state: Mutex<State>

    public init(capacity: Int = TrafficHistory.defaultCapacity, intervalSeconds: Int64 = 5) {
        self.intervalSeconds = intervalSeconds
        self.state = Mutex(State(points: BoundedRing(capacity: capacity), last: nil, encoded: Self.encode([], intervalSeconds: intervalSeconds)))
    }

    /// The points, oldest first.
    public var points: [Point] { self.state.withLock { $0.points.oldestFirst } }

    /// `{"interval_seconds": 5, "points": [...]}`, platforms with nothing to show in a point left out of it.
    public var json: [UInt8] { self.state.withLock { $0.encoded } }

    /// Adds a point from the counters now. A counter that went down (a queue emptied by hand) counts as 0.
    /// - Parameters:
    ///   - counters: this process's receive counters by platform.
    ///   - refused: this process's refusals by platform (all reasons).
    ///   - queue: the queue's statistics of each platform sampled, `nil` for one that could not be read (its last
    ///     known statistics stand in, so a failed read is not a dip to 0 and a spike after).
    public func sample(
        at: Int64, counters: [String: WebhookMetrics.Counters], refused: [String: Int], queue: [String: PlatformQueueStats?]
    ) {
        self.state.withLock { state in
            var totals: [String: Totals] = [:]
            for (platform, c) in counters {
                totals[platform] = Totals(
                    received: c.received, accepted: c.accepted, refused: refused[platform] ?? 0, rateLimited: c.rateLimited,
                    duplicates: c.duplicates)
            }
            for (platform, stats) in queue {
                totals[platform, default: Totals()].queue = stats ?? state.last?[platform]?.queue
            }
            defer { state.last = totals }
            guard let last = state.last else { return }
            var platforms: [String: Counts] = [:]
            for (platform, now) in totals {
                let before = last[platform] ?? Totals()
                var counts = Counts(
                    received: max(0, now.received - before.received), accepted: max(0, now.accepted - before.accepted),
                    refused: max(0, now.refused - before.refused), rateLimited: max(0, now.rateLimited - before.rateLimited),
                    duplicates: max(0, now.duplicates - before.duplicates))
                if let stats = now.queue {
                    // A platform's first queue count is its baseline (its events may have been processed for days).
                    if let previous = before.queue { counts.processed = max(0, stats.processed - previous.processed) }
                    counts.pending = stats.pending
                    counts.deadLetter = stats.deadLetter
                }
                platforms[platform] = counts
            }
            state.points.append(Point(at: at, platforms: platforms))
            state.encoded = Self.encode(state.points.oldestFirst, intervalSeconds: self.intervalSeconds)
        }
    }

    private static func encode(_ points: [Point], intervalSeconds: Int64) -> [UInt8] {
        let items: [JSONValue] = points.map { point in
            var platforms: [String: JSONValue] = [:]
            for (platform, c) in point.platforms where c != Counts() {
                platforms[platform] = .object([
                    "received": .number(String(c.received)), "accepted": .number(String(c.accepted)), "refused": .number(String(c.refused)),
                    "rate_limited": .number(String(c.rateLimited)), "duplicates": .number(String(c.duplicates)),
                    "processed": .number(String(c.processed)), "pending": .number(String(c.pending)), "dead_letter": .number(String(c.deadLetter)),
                ])
            }
            return .object(["at": .number(String(point.at)), "platforms": .object(platforms)])
        }
        return CanonicalJSON.encode(.object(["interval_seconds": .number(String(intervalSeconds)), "points": .array(items)]))
    }
}
