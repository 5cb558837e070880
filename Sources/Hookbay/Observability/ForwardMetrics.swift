import Metrics
import Prometheus
import Synchronization

/// What forwarding counts, per platform and destination: Prometheus metrics (`hookbay_forward_*`) and the
/// `destinations` section of the JSON metrics and stats. Labels are bounded: platform and destination names come from
/// config, outcomes are fixed words.
public final class ForwardMetrics: Sendable {
    /// How one attempt ended.
    public enum Outcome: String, Sendable, CaseIterable {
        /// Answered 2xx: settled.
        case delivered
        /// Failed; another attempt is scheduled.
        case retried
        /// Failed for good (its attempts ran out, or its address is refused): in the destination's dead letters.
        case deadLettered = "dead_lettered"
    }

    /// One destination's counts and state, as the JSON metrics show them.
    public struct Snapshot: Sendable, Equatable {
        public var delivered = 0
        public var retried = 0
        public var deadLettered = 0
        /// `closed`, `open` or `half_open`.
        public var circuit = "closed"
        /// Deliveries waiting for their first attempt, waiting for a retry or under way, and dead letters, as last read.
        public var queue = PlatformQueueStats()
    }

    private struct Key: Hashable, Sendable {
        var platform: String
        var destination: String
    }

    private final class Handles: Sendable {
        let outcomes: [Outcome: Metrics.Counter]
        let duration: Metrics.Timer
        let circuit: Metrics.Gauge
        let pending: Metrics.Gauge
        let processing: Metrics.Gauge
        let deadLetter: Metrics.Gauge
        let snapshot = Mutex(Snapshot())

        init(_ key: Key, factory: PrometheusMetricsFactory) {
            let labels = [("platform", key.platform), ("destination", key.destination)]
            self.outcomes = Dictionary(
                uniqueKeysWithValues: Outcome.allCases.map {
                    (
                        $0,
                        Metrics.Counter(label: "hookbay_forward_deliveries_total", dimensions: labels + [("outcome", $0.rawValue)], factory: factory)
                    )
                })
            self.duration = Metrics.Timer(label: "hookbay_forward_duration_seconds", dimensions: labels, factory: factory)
            self.circuit = Metrics.Gauge(label: "hookbay_forward_circuit_open", dimensions: labels, factory: factory)
            self.pending = Metrics.Gauge(label: "hookbay_forward_queue_pending", dimensions: labels, factory: factory)
            self.processing = Metrics.Gauge(label: "hookbay_forward_queue_processing", dimensions: labels, factory: factory)
            self.deadLetter = Metrics.Gauge(label: "hookbay_forward_queue_dead_letter", dimensions: labels, factory: factory)
        }
    }

    private let factory: PrometheusMetricsFactory
    private let handles = Mutex<[Key: Handles]>([:])

    init(factory: PrometheusMetricsFactory) {
        self.factory = factory
    }

    private func handles(_ platform: String, _ destination: String) -> Handles {
        let key = Key(platform: platform, destination: destination)
        return self.handles.withLock { handles in
            if let existing = handles[key] { return existing }
            let made = Handles(key, factory: self.factory)
            handles[key] = made
            return made
        }
    }

    /// Counts an attempt's outcome and how long it took (connecting included).
    public func record(_ outcome: Outcome, platform: String, destination: String, duration: Duration?) {
        let handles = self.handles(platform, destination)
        handles.outcomes[outcome]?.increment()
        if let duration {
            handles.duration.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        }
        handles.snapshot.withLock {
            switch outcome {
            case .delivered: $0.delivered += 1
            case .retried: $0.retried += 1
            case .deadLettered: $0.deadLettered += 1
            }
        }
    }

    /// The destination's circuit: `hookbay_forward_circuit_open` is 0 closed, 1 open, 0.5 half-open (one probe).
    public func setCircuit(platform: String, destination: String, _ name: String) {
        let handles = self.handles(platform, destination)
        handles.circuit.record(name == "open" ? 1 : name == "half_open" ? 0.5 : 0)
        handles.snapshot.withLock { $0.circuit = name }
    }

    /// The destination's queue depth, refreshed in the background.
    public func setQueueDepth(platform: String, destination: String, _ stats: PlatformQueueStats) {
        let handles = self.handles(platform, destination)
        handles.pending.record(stats.pending)
        handles.processing.record(stats.processing)
        handles.deadLetter.record(stats.deadLetter)
        handles.snapshot.withLock { $0.queue = stats }
    }

    /// Every destination seen, by platform, then by destination.
    public func snapshot() -> [String: [String: Snapshot]] {
        let all = self.handles.withLock { $0 }
        var result: [String: [String: Snapshot]] = [:]
        for (key, handles) in all {
            result[key.platform, default: [:]][key.destination] = handles.snapshot.withLock { $0 }
        }
        return result
    }
}
