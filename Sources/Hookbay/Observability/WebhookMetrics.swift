import Metrics
import Prometheus
import Synchronization

/// What the gateway counts, per platform: the seed's JSON counters (`/api/v1/webhooks/metrics`) and the same events
/// as Prometheus metrics (`/metrics`), recorded through swift-metrics into this instance's own registry.
///
/// Labels are bounded: platform ids (from config) and fixed outcome names. Handles are created once per label set.
public final class WebhookMetrics: Sendable {
    /// What can happen to one request or event.
    public enum Outcome: Sendable {
        /// Reached a known platform (counted for every request that did, whatever came next).
        case received
        /// Queued (202).
        case accepted
        /// Known already (200 duplicate).
        case duplicate
        /// Refused for its rate (429).
        case rateLimited
        /// Refused or failed: bad signature, bad payload, disabled platform, queue unavailable; or dead-lettered.
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

    /// Latency histograms.
    public enum Latency: String, Sendable {
        /// From the request's arrival to its answer.
        case receive = "hookbay_receive_duration_seconds"
        /// The dedup+enqueue round trip.
        case enqueue = "hookbay_enqueue_duration_seconds"
        /// One event through its adapter and the database.
        case processing = "hookbay_processing_duration_seconds"
    }

    /// The Prometheus registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let state = Mutex<(platforms: [String: Counters], unknownPlatform: Int)>(([:], 0))
    /// A metric's name and label values: the cache key of its handle (no string is built per request).
    private struct Key: Hashable, Sendable {
        var name: String
        var platform: String?
        var reason: String?
    }

    private let counters = Mutex<[Key: Metrics.Counter]>([:])
    private let timers = Mutex<[Key: Metrics.Timer]>([:])
    private let gauges = Mutex<[Key: Metrics.Gauge]>([:])

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        self.factory = factory
    }

    /// A factory recording into this registry, for `MetricsSystem.bootstrap` in `main`.
    public var metricsFactory: PrometheusMetricsFactory { factory }

    /// Counts one outcome for `platform`.
    public func record(_ outcome: Outcome, platform: String) {
        self.state.withLock { $0.platforms[platform, default: Counters()].record(outcome) }
        let name: String
        switch outcome {
        case .received: name = "hookbay_webhooks_received_total"
        case .accepted: name = "hookbay_webhooks_accepted_total"
        case .duplicate: name = "hookbay_webhooks_duplicate_total"
        case .rateLimited: name = "hookbay_webhooks_rate_limited_total"
        case .ignored: name = "hookbay_webhooks_ignored_total"
        case .processed: name = "hookbay_events_processed_total"
        case .failed: return  // counted by reason in recordRejected / recordDeadLettered
        }
        self.counter(name, platform: platform).increment()
    }

    /// A request refused for `reason` (an error code such as `invalid_signature`).
    public func recordRejected(platform: String, reason: String) {
        self.record(.failed, platform: platform)
        self.counter("hookbay_webhooks_rejected_total", platform: platform, reason: reason).increment()
    }

    /// A request for a platform that is not loaded (404).
    public func recordUnknownPlatform() {
        self.state.withLock { $0.unknownPlatform += 1 }
        self.counter("hookbay_webhooks_rejected_total", platform: "_unknown", reason: "unsupported_platform").increment()
    }

    /// A retry scheduled after a retryable processing failure.
    public func recordRetried(platform: String) {
        self.counter("hookbay_events_retried_total", platform: platform).increment()
    }

    /// An event moved to the dead-letter queue.
    public func recordDeadLettered(platform: String) {
        self.record(.failed, platform: platform)
        self.counter("hookbay_events_dead_lettered_total", platform: platform).increment()
    }

    /// A config reload, and whether any file was refused.
    public func recordReload(failed: Bool) {
        self.counter("hookbay_config_reloads_total").increment()
        if failed { self.counter("hookbay_config_reload_errors_total").increment() }
    }

    /// Plugin files refused at load.
    public func recordPluginErrors(_ count: Int) {
        guard count > 0 else { return }
        self.counter("hookbay_plugin_errors_total").increment(by: count)
    }

    /// Records a latency.
    public func observe(_ latency: Latency, platform: String, _ duration: Duration) {
        let key = Key(name: latency.rawValue, platform: platform)
        let timer = self.timers.withLock { timers in
            if let timer = timers[key] { return timer }
            let timer = Metrics.Timer(label: latency.rawValue, dimensions: [("platform", platform)], factory: self.factory)
            timers[key] = timer
            return timer
        }
        timer.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Queue depth of one platform, refreshed in the background.
    public func setQueueDepth(platform: String, _ stats: PlatformQueueStats) {
        self.gauge("hookbay_queue_pending", platform).record(stats.pending)
        self.gauge("hookbay_queue_processing", platform).record(stats.processing)
        self.gauge("hookbay_queue_dead_letter", platform).record(stats.deadLetter)
    }

    /// The Prometheus text exposition of everything recorded.
    public func prometheusText() -> [UInt8] {
        self.registry.emitToBuffer()
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

    private func counter(_ name: String, platform: String? = nil, reason: String? = nil) -> Metrics.Counter {
        let key = Key(name: name, platform: platform, reason: reason)
        return self.counters.withLock { counters in
            if let counter = counters[key] { return counter }
            var dimensions: [(String, String)] = []
            if let platform { dimensions.append(("platform", platform)) }
            if let reason { dimensions.append(("reason", reason)) }
            let counter = Metrics.Counter(label: name, dimensions: dimensions, factory: self.factory)
            counters[key] = counter
            return counter
        }
    }

    private func gauge(_ name: String, _ platform: String) -> Metrics.Gauge {
        let key = Key(name: name, platform: platform)
        return self.gauges.withLock { gauges in
            if let gauge = gauges[key] { return gauge }
            let gauge = Metrics.Gauge(label: name, dimensions: [("platform", platform)], factory: self.factory)
            gauges[key] = gauge
            return gauge
        }
    }
}
