import Synchronization

/// In-process counters of what the receive path did, per platform: the seed's `/api/v1/webhooks/metrics`.
public final class WebhookMetrics: Sendable {
    /// What can happen to one request.
    public enum Outcome: Sendable {
        /// Reached a known platform (counted for every request that did, whatever came next).
        case received
        /// Queued (202).
        case accepted
        /// Known already (200 duplicate).
        case duplicate
        /// Refused for its rate (429).
        case rateLimited
        /// Refused or failed: bad signature, bad payload, disabled platform, queue unavailable.
        case failed
        /// Applied by a worker of this process.
        case processed
        /// Authentic, of a type the platform is not subscribed to (200 ignored).
        case ignored
    }

    /// The counters of one platform (or of all).
    public struct Counters: Sendable, Equatable {
        public var received = 0
        public var accepted = 0
        public var processed = 0
        public var failed = 0
        public var duplicates = 0
        public var rateLimited = 0
        public var ignored = 0

        public init() {}

        mutating func record(_ outcome: Outcome) {
            switch outcome {
            case .received: received += 1
            case .accepted: accepted += 1
            case .duplicate: duplicates += 1
            case .rateLimited: rateLimited += 1
            case .failed: failed += 1
            case .processed: processed += 1
            case .ignored: ignored += 1
            }
        }

        static func + (a: Counters, b: Counters) -> Counters {
            var sum = a
            sum.received += b.received
            sum.accepted += b.accepted
            sum.processed += b.processed
            sum.failed += b.failed
            sum.duplicates += b.duplicates
            sum.rateLimited += b.rateLimited
            sum.ignored += b.ignored
            return sum
        }
    }

    private let state = Mutex<(platforms: [String: Counters], unknownPlatform: Int)>(([:], 0))

    public init() {}

    /// Counts one outcome for `platform`.
    public func record(_ outcome: Outcome, platform: String) {
        self.state.withLock { $0.platforms[platform, default: Counters()].record(outcome) }
    }

    /// Counts a request for a platform that is not loaded (404).
    public func recordUnknownPlatform() {
        self.state.withLock { $0.unknownPlatform += 1 }
    }

    /// The counters now: totals (including requests for unknown platforms, as received and failed) and per platform.
    public func snapshot() -> (total: Counters, platforms: [String: Counters]) {
        self.state.withLock { state in
            var total = state.platforms.values.reduce(Counters(), +)
            total.received += state.unknownPlatform
            total.failed += state.unknownPlatform
            return (total, state.platforms)
        }
    }
}
