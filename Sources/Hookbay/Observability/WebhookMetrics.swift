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
        /// A sender's endpoint handshake, answered (never queued).
        case handshake
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
        public var handshakes = 0

        public init() {}

        static func + (a: Counters, b: Counters) -> Counters {
            var sum = a
            sum.received += b.received
            sum.accepted += b.accepted
            sum.processed += b.processed
            sum.failed += b.failed
            sum.duplicates += b.duplicates
            sum.rateLimited += b.rateLimited
            sum.ignored += b.ignored
            sum.handshakes += b.handshakes
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
    /// Each platform's counters and handles, made on first use; a delivery looks its platform up once per record.
    private let platforms = Mutex<[String: PlatformMetrics]>([:])
    private let unknownPlatform = Atomic<Int>(0)
    /// A metric's name and label values: the cache key of its handle (no string is built per request).
    private struct Key: Hashable, Sendable {
        var name: String
        var platform: String?
        var reason: String?
    }

    private let counters = Mutex<[Key: Metrics.Counter]>([:])
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
        self.forward = ForwardMetrics(factory: factory)
    }

    /// Forwarding's counts, per platform and destination, in the same registry.
    public let forward: ForwardMetrics
    /// The last minutes of traffic per platform, sampled by ``QueueDepthMonitor``.
    public let history = TrafficHistory(intervalSeconds: QueueDepthMonitor.defaultInterval.components.seconds)
    /// Refusals by platform and error code (the JSON's `refused`), beside the Prometheus counter.
    private let refusedByReason = Mutex<[String: [String: Int]]>([:])

    /// A factory recording into this registry, for `MetricsSystem.bootstrap` in `main`.
    public var metricsFactory: PrometheusMetricsFactory { factory }

    /// Counts one outcome for `platform`.
    public func record(_ outcome: Outcome, platform: String) {
        self.platform(platform).record(outcome)
    }

    /// A request refused for `reason` (an error code such as `invalid_signature`).
    public func recordRejected(platform: String, reason: String) {
        self.record(.failed, platform: platform)
        self.refusedByReason.withLock { $0[platform, default: [:]][reason, default: 0] += 1 }
        self.counter("hookbay_webhooks_rejected_total", platform: platform, reason: reason).increment()
    }

    /// Refusals by platform, then by error code (rate limiting is counted apart, as `rate_limited`).
    public func refusals() -> [String: [String: Int]] {
        self.refusedByReason.withLock { $0 }
    }

    /// Adds a point to ``history`` from the counters now and the queue's statistics just read (`nil`: not readable).
    public func sampleHistory(queue: [String: PlatformQueueStats?], at: Int64 = WallClock.milliseconds()) {
        let refused = self.refusals().mapValues { $0.values.reduce(0, +) }
        self.history.sample(at: at, counters: self.snapshot().platforms, refused: refused, queue: queue)
    }

    /// A request for a platform that is not loaded (404).
    public func recordUnknownPlatform() {
        self.unknownPlatform.add(1, ordering: .relaxed)
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
        self.platform(platform).observe(latency, duration)
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
        let platforms = self.platforms.withLock { $0 }.mapValues { $0.counters }
        var total = platforms.values.reduce(Counters(), +)
        let unknown = self.unknownPlatform.load(ordering: .relaxed)
        total.received += unknown
        total.failed += unknown
        return (total, platforms)
    }

    /// The counters and handles of `id`, made on first use.
    private func platform(_ id: String) -> PlatformMetrics {
        self.platforms.withLock { platforms in
            if let existing = platforms[id] { return existing }
            let made = PlatformMetrics(platform: id, factory: self.factory)
            platforms[id] = made
            return made
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

/// One platform's counters and its Prometheus handles, made once: recording an outcome is an atomic add and the
/// handle's own update, with no look-up by label (the receive path records four times per delivery, from every
/// event loop at once).
private final class PlatformMetrics: Sendable {
    private let received = Atomic<Int>(0)
    private let accepted = Atomic<Int>(0)
    private let processed = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let duplicates = Atomic<Int>(0)
    private let rateLimited = Atomic<Int>(0)
    private let ignored = Atomic<Int>(0)
    private let handshakes = Atomic<Int>(0)
    private let receivedTotal: Metrics.Counter
    private let acceptedTotal: Metrics.Counter
    private let duplicateTotal: Metrics.Counter
    private let rateLimitedTotal: Metrics.Counter
    private let ignoredTotal: Metrics.Counter
    private let handshakesTotal: Metrics.Counter
    private let processedTotal: Metrics.Counter
    private let receiveDuration: Metrics.Timer
    private let enqueueDuration: Metrics.Timer
    private let processingDuration: Metrics.Timer

    init(platform: String, factory: PrometheusMetricsFactory) {
        func counter(_ name: String) -> Metrics.Counter {
            Metrics.Counter(label: name, dimensions: [("platform", platform)], factory: factory)
        }
        func timer(_ latency: WebhookMetrics.Latency) -> Metrics.Timer {
            Metrics.Timer(label: latency.rawValue, dimensions: [("platform", platform)], factory: factory)
        }
        self.receivedTotal = counter("hookbay_webhooks_received_total")
        self.acceptedTotal = counter("hookbay_webhooks_accepted_total")
        self.duplicateTotal = counter("hookbay_webhooks_duplicate_total")
        self.rateLimitedTotal = counter("hookbay_webhooks_rate_limited_total")
        self.ignoredTotal = counter("hookbay_webhooks_ignored_total")
        self.handshakesTotal = counter("hookbay_webhooks_handshakes_total")
        self.processedTotal = counter("hookbay_events_processed_total")
        self.receiveDuration = timer(.receive)
        self.enqueueDuration = timer(.enqueue)
        self.processingDuration = timer(.processing)
    }

    /// Counts `outcome`; `failed` has no counter of its own here (it is counted by reason).
    func record(_ outcome: WebhookMetrics.Outcome) {
        switch outcome {
        case .received: Self.count(self.received, self.receivedTotal)
        case .accepted: Self.count(self.accepted, self.acceptedTotal)
        case .duplicate: Self.count(self.duplicates, self.duplicateTotal)
        case .rateLimited: Self.count(self.rateLimited, self.rateLimitedTotal)
        case .ignored: Self.count(self.ignored, self.ignoredTotal)
        case .handshake: Self.count(self.handshakes, self.handshakesTotal)
        case .processed: Self.count(self.processed, self.processedTotal)
        case .failed: self.failed.add(1, ordering: .relaxed)
        }
    }

    /// One more in the JSON count and in the Prometheus counter.
    private static func count(_ value: borrowing Atomic<Int>, _ total: Metrics.Counter) {
        value.add(1, ordering: .relaxed)
        total.increment()
    }

    func observe(_ latency: WebhookMetrics.Latency, _ duration: Duration) {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        switch latency {
        case .receive: self.receiveDuration.recordNanoseconds(nanoseconds)
        case .enqueue: self.enqueueDuration.recordNanoseconds(nanoseconds)
        case .processing: self.processingDuration.recordNanoseconds(nanoseconds)
        }
    }

    var counters: WebhookMetrics.Counters {
        var counters = WebhookMetrics.Counters()
        counters.received = self.received.load(ordering: .relaxed)
        counters.accepted = self.accepted.load(ordering: .relaxed)
        counters.processed = self.processed.load(ordering: .relaxed)
        counters.failed = self.failed.load(ordering: .relaxed)
        counters.duplicates = self.duplicates.load(ordering: .relaxed)
        counters.rateLimited = self.rateLimited.load(ordering: .relaxed)
        counters.ignored = self.ignored.load(ordering: .relaxed)
        counters.handshakes = self.handshakes.load(ordering: .relaxed)
        return counters
    }
}
