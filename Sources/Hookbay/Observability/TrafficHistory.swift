import Synchronization

/// The last few minutes of each platform's traffic, one point per sample of ``QueueDepthMonitor``: what the console's
/// charts draw (`GET /api/v1/webhooks/metrics/history`).
///
/// A point holds what happened in the interval before it (counts) and the queue's levels at its time. It is made from
/// cumulative counters, so sampling costs the receive path nothing.
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
        var processed: Int?
    }

    struct State {
        var points: BoundedRing<Point>
        /// The previous sample's totals; `nil` before the first (which only sets the baseline).
        var last: [String: Totals]?
    }

    /// Points kept: 5 minutes at the monitor's 5 seconds.
    public static let defaultCapacity = 60
    private let state: Mutex<State>

    public init(capacity: Int = TrafficHistory.defaultCapacity) {
        self.state = Mutex(State(points: BoundedRing(capacity: capacity), last: nil))
    }

    /// The points, oldest first.
    public var points: [Point] { self.state.withLock { $0.points.oldestFirst } }

    /// Adds a point from the counters now. A counter that went down (a queue emptied by hand) counts as 0.
    /// - Parameters:
    ///   - counters: this process's receive counters by platform.
    ///   - refused: this process's refusals by platform (all reasons).
    ///   - queue: the queue's statistics by platform, for those that could be read.
    public func sample(
        at: Int64, counters: [String: WebhookMetrics.Counters], refused: [String: Int], queue: [String: PlatformQueueStats]
    ) {
        var totals: [String: Totals] = [:]
        for (platform, c) in counters {
            totals[platform] = Totals(
                received: c.received, accepted: c.accepted, refused: refused[platform] ?? 0, rateLimited: c.rateLimited, duplicates: c.duplicates)
        }
        for (platform, stats) in queue { totals[platform, default: Totals()].processed = stats.processed }
        self.state.withLock { state in
            var totals = totals
            defer { state.last = totals }
            guard let last = state.last else { return }
            // A platform whose queue could not be read this time keeps its previous total for the next delta.
            for (platform, before) in last where before.processed != nil && totals[platform] != nil && totals[platform]?.processed == nil {
                totals[platform]?.processed = before.processed
            }
            var platforms: [String: Counts] = [:]
            for (platform, now) in totals {
                let before = last[platform] ?? Totals()
                var counts = Counts(
                    received: max(0, now.received - before.received), accepted: max(0, now.accepted - before.accepted),
                    refused: max(0, now.refused - before.refused), rateLimited: max(0, now.rateLimited - before.rateLimited),
                    duplicates: max(0, now.duplicates - before.duplicates))
                // A platform's first queue count is its baseline (its events may have been processed for days).
                if let processed = now.processed, let previous = before.processed { counts.processed = max(0, processed - previous) }
                if let stats = queue[platform] {
                    counts.pending = stats.pending
                    counts.deadLetter = stats.deadLetter
                }
                platforms[platform] = counts
            }
            state.points.append(Point(at: at, platforms: platforms))
        }
    }
}
