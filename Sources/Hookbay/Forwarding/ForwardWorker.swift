import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Delivers the deliveries queued in every destination's lane (``QueueKeys/lane(platform:destination:)``), in the
/// consumer group `webhook-processors` like the platforms' own streams: reads new ones, takes due retries and entries a
/// crashed consumer left behind, and settles each attempt — completed on a 2xx, scheduled again with the destination's
/// backoff (or its `Retry-After`), or dead-lettered in the destination's own dead-letter stream.
///
/// Each destination is bounded on its own: at most `max_in_flight` attempts under way, and a circuit breaker that,
/// after consecutive failures, lets nothing through until a cool-down ends and then one probe. The loop that reads
/// never waits for an attempt, so a slow or failing destination costs its own slots only: other destinations and the
/// platforms' processing go on. A `Service`: on graceful shutdown it stops reading and lets the attempts under way end
/// (each within its timeout).
public struct ForwardWorker: Service, Sendable {
    public let configuration: WorkerConfiguration
    public let queue: any WebhookQueue
    public let platforms: PlatformRegistry
    public let policy: ForwardNetworkPolicy
    public let metrics: ForwardMetrics
    public let logger: Logger

    public init(
        configuration: WorkerConfiguration, queue: any WebhookQueue, platforms: PlatformRegistry, policy: ForwardNetworkPolicy,
        metrics: ForwardMetrics, logger: Logger
    ) {
        self.configuration = configuration
        self.queue = queue
        self.platforms = platforms
        self.policy = policy
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "consumer"] = .string(configuration.consumerName)
        self.logger = logger
    }

    /// One destination of one platform, as configured now.
    struct Lane: Sendable {
        var platform: String
        var destination: ForwardDestination
        var name: String { QueueKeys.lane(platform: self.platform, destination: self.destination.name) }
        /// How long an entry stays with a consumer before another may take it: longer than any attempt can last.
        func claimIdle(_ configured: Duration) -> Duration {
            max(configured, .milliseconds(Int64(self.destination.timeoutMilliseconds) * 2 + 5000))
        }
    }

    /// Each lane's attempts under way and circuit.
    struct LaneState {
        var inFlight = 0
        var breaker: CircuitBreaker
    }

    /// Every lane's state, shared by the reading loop and the attempts.
    final class LaneTable: Sendable {
        let state = Mutex<[String: LaneState]>([:])

        func withLock<T>(_ body: (inout [String: LaneState]) -> T) -> T {
            self.state.withLock { body(&$0) }
        }
    }

    public func run() async throws {
        let sender = ForwardSender(resolver: ForwardAddressResolver(policy: self.policy))
        let lanes = LaneTable()
        self.logger.info("forwarding started")
        await withDiscardingTaskGroup { group in
            var prepared: Set<String> = []
            var lastClaim = ContinuousClock.now - self.configuration.claimInterval
            var lastSweep = ContinuousClock.now
            let idle = PollBackoff(first: .milliseconds(20), limit: .milliseconds(200))
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let current = self.currentLanes()
                let unprepared = current.map(\.name).filter { !prepared.contains($0) }
                if !unprepared.isEmpty {
                    do throws(QueueError) {
                        try await self.queue.prepare(platforms: unprepared)
                        prepared.formUnion(unprepared)
                    } catch {
                        self.logger.warning("cannot prepare forwarding lanes now", metadata: ["error": .string(error.description)])
                    }
                }
                var found = false
                /// Starts an attempt for each entry, within the lane's bounds (an entry beyond them stays pending).
                func dispatch(_ entries: [StreamEntry], _ lane: Lane) {
                    for entry in entries {
                        found = true
                        let now = WallClock.milliseconds()
                        let probe = lanes.withLock { state -> Bool in
                            var laneState = state[lane.name] ?? LaneState(breaker: Self.breaker(for: lane.destination))
                            laneState.inFlight += 1
                            let permit = laneState.breaker.permit(now: now)
                            state[lane.name] = laneState
                            return permit == .probe
                        }
                        if probe { self.metrics.setCircuit(platform: lane.platform, destination: lane.destination.name, "half_open") }
                        group.addTask {
                            await self.attempt(entry, lane: lane, sender: sender, lanes: lanes)
                            lanes.withLock { $0[lane.name]?.inFlight -= 1 }
                        }
                    }
                }
                /// How many attempts `lane` may start now.
                func capacity(_ lane: Lane) -> Int {
                    let now = WallClock.milliseconds()
                    return lanes.withLock { state in
                        let laneState = state[lane.name] ?? LaneState(breaker: Self.breaker(for: lane.destination))
                        state[lane.name] = laneState
                        let free = max(0, lane.destination.maxInFlight - laneState.inFlight)
                        return min(free, laneState.breaker.capacity(now: now) ?? free)
                    }
                }
                for lane in current where prepared.contains(lane.name) {
                    do throws(QueueError) {
                        if ContinuousClock.now - lastClaim >= self.configuration.claimInterval {
                            var free = capacity(lane)
                            if free > 0 {
                                dispatch(
                                    try await self.queue.claimDueRetries(
                                        platform: lane.name, consumer: self.configuration.consumerName,
                                        lease: lane.claimIdle(self.configuration.claimIdle), count: free), lane)
                            }
                            free = capacity(lane)
                            if free > 0 {
                                dispatch(
                                    try await self.queue.claimIdle(
                                        platform: lane.name, consumer: self.configuration.consumerName,
                                        minIdle: lane.claimIdle(self.configuration.claimIdle), count: free), lane)
                            }
                        }
                        let free = capacity(lane)
                        if free > 0 {
                            dispatch(
                                try await self.queue.read(
                                    platforms: [lane.name], consumer: self.configuration.consumerName, count: free, pending: false,
                                    block: .zero), lane)
                        }
                    } catch {
                        self.logger.warning(
                            "cannot read a forwarding lane now",
                            metadata: [
                                "platform": .string(lane.platform), "destination": .string(lane.destination.name),
                                "error": .string(error.description),
                            ])
                    }
                }
                if ContinuousClock.now - lastClaim >= self.configuration.claimInterval { lastClaim = ContinuousClock.now }
                if ContinuousClock.now - lastSweep >= .seconds(30) {
                    lastSweep = ContinuousClock.now
                    await sender.closeIdleClients()
                }
                if found {
                    idle.reset()
                } else {
                    try? await Task.sleep(for: idle.next())
                }
            }
        }
        await sender.close()
        self.logger.info("forwarding stopped")
    }

    /// Every destination of every platform processed here.
    func currentLanes() -> [Lane] {
        self.platforms.processingIDs.flatMap { id in
            (self.platforms.processingPlatform(id)?.config.destinations ?? []).map { Lane(platform: id, destination: $0) }
        }
    }

    static func breaker(for destination: ForwardDestination) -> CircuitBreaker {
        CircuitBreaker(
            threshold: destination.circuitFailures, baseCoolDown: Int64(destination.circuitCoolDownMilliseconds),
            maxCoolDown: max(600_000, Int64(destination.circuitCoolDownMilliseconds)), probeTimeout: Int64(destination.timeoutMilliseconds) + 1000)
    }

    /// One attempt at `entry`, settled: completed, scheduled again, or dead-lettered. A queue failure leaves it pending
    /// (claimed again once idle).
    private func attempt(_ entry: StreamEntry, lane: Lane, sender: ForwardSender, lanes: LaneTable) async {
        let destination = lane.destination
        var logger = self.logger
        logger[metadataKey: "platform"] = .string(lane.platform)
        logger[metadataKey: "destination"] = .string(destination.name)
        logger[metadataKey: "stream_id"] = .string(entry.id)
        guard let webhookID = entry.string("webhook_id"), let body = entry.fields["body"] else {
            await self.settle(entry, lane: lane, logger: logger) { () async throws(QueueError) in
                try await self.queue.deadLetter(entry, error: "malformed forwarding entry: no webhook_id or body", attempts: 1)
                self.metrics.record(.deadLettered, platform: lane.platform, destination: destination.name, duration: nil)
            }
            return
        }
        logger[metadataKey: "webhook_id"] = .string(webhookID)
        let startedAt = WallClock.milliseconds()
        let message = ForwardMessage(webhookID: webhookID, body: Array(body.readableBytesView), to: destination, now: startedAt / 1000)
        let start = ContinuousClock.now
        let outcome = await sender.send(message, timeout: .milliseconds(destination.timeoutMilliseconds), maxConnections: destination.maxInFlight)
        let elapsed = ContinuousClock.now - start
        let now = WallClock.milliseconds()
        if case .answered(let status, _) = outcome.result, (200...299).contains(status) {
            self.circuit(lane, lanes) { $0.succeeded() }
            await self.settle(entry, lane: lane, logger: logger) { () async throws(QueueError) in
                try await self.queue.complete([entry])
                self.metrics.record(.delivered, platform: lane.platform, destination: destination.name, duration: elapsed)
                logger.debug("forwarded", metadata: ["status": .stringConvertible(status)])
            }
            return
        }
        if case .refused = outcome.result {
            // The address, not the destination's health: the circuit is not its business.
        } else {
            self.circuit(lane, lanes) { $0.failed(now: now) }
        }
        await self.settle(entry, lane: lane, logger: logger) { () async throws(QueueError) in
            let attempts = try await self.queue.recordFailedAttempt(entry)
            switch ForwardAttempt.decide(outcome.result, failedBefore: attempts - 1, retry: destination.retry, now: now / 1000) {
            case .delivered:
                try await self.queue.complete([entry])
            case .retry(let wait, let reason):
                try await self.queue.scheduleRetry(entry, dueAtMilliseconds: now + wait)
                self.metrics.record(.retried, platform: lane.platform, destination: destination.name, duration: elapsed)
                logger.warning(
                    "forwarding attempt failed; retry scheduled",
                    metadata: [
                        "attempt": .stringConvertible(attempts), "error": .string(Self.reason(reason, outcome.excerpt)),
                        "retry_in_ms": .stringConvertible(wait),
                    ])
            case .deadLetter(let reason):
                let error = Self.reason(reason, outcome.excerpt)
                try await self.queue.deadLetter(entry, error: error, attempts: attempts)
                self.metrics.record(.deadLettered, platform: lane.platform, destination: destination.name, duration: elapsed)
                logger.error(
                    "forwarding failed for good; dead-lettered", metadata: ["attempts": .stringConvertible(attempts), "error": .string(error)])
            }
        }
    }

    /// `reason`, with the first bytes of the answer's body when there were some.
    static func reason(_ reason: String, _ excerpt: String) -> String {
        excerpt.isEmpty ? reason : "\(reason): \(excerpt)"
    }

    private func settle(_ entry: StreamEntry, lane: Lane, logger: Logger, _ body: () async throws(QueueError) -> Void) async {
        do throws(QueueError) {
            try await body()
        } catch {
            logger.error("queue unavailable while settling a forwarding attempt; it stays pending", metadata: ["error": .string(error.description)])
        }
    }

    /// Changes the lane's circuit and shows its state.
    private func circuit(_ lane: Lane, _ lanes: LaneTable, _ change: (inout CircuitBreaker) -> Void) {
        let (before, after) = lanes.withLock { state -> (String, String) in
            var laneState = state[lane.name] ?? LaneState(breaker: Self.breaker(for: lane.destination))
            let before = laneState.breaker.name
            change(&laneState.breaker)
            state[lane.name] = laneState
            return (before, laneState.breaker.name)
        }
        self.metrics.setCircuit(platform: lane.platform, destination: lane.destination.name, after)
        if before != after, after == "open" {
            self.logger.warning(
                "destination keeps failing: circuit open, attempts paused for a cool-down",
                metadata: ["platform": .string(lane.platform), "destination": .string(lane.destination.name)])
        } else if before != after, after == "closed" {
            self.logger.info(
                "destination answers again: circuit closed",
                metadata: ["platform": .string(lane.platform), "destination": .string(lane.destination.name)])
        }
    }
}
