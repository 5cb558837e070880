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

    /// Each lane's attempts under way and circuit, and when it may be read again after a queue failure.
    struct LaneState {
        var inFlight = 0
        var breaker: CircuitBreaker
        /// The destination settings the breaker was built from: a reload that changes them builds it again.
        var settings: [Int]
        var failures = 0
        var retryAt = ContinuousClock.now

        init(_ destination: ForwardDestination) {
            self.breaker = ForwardWorker.breaker(for: destination)
            self.settings = Self.settings(destination)
        }

        static func settings(_ destination: ForwardDestination) -> [Int] {
            [destination.circuitFailures, destination.circuitCoolDownMilliseconds, destination.timeoutMilliseconds]
        }
    }

    /// Every lane's state, shared by the reading loop and the attempts.
    final class LaneTable: Sendable {
        let state = Mutex<[String: LaneState]>([:])

        func withLock<T>(_ body: (inout [String: LaneState]) -> T) -> T {
            self.state.withLock { body(&$0) }
        }

        /// The lane's state, made (or made again, when its destination's settings changed) as `lane` says.
        func current(_ lane: Lane, in state: inout [String: LaneState]) -> LaneState {
            if let existing = state[lane.name], existing.settings == LaneState.settings(lane.destination) { return existing }
            var made = LaneState(lane.destination)
            made.inFlight = state[lane.name]?.inFlight ?? 0
            state[lane.name] = made
            return made
        }
    }

    public func run() async throws {
        let sender = ForwardSender(resolver: ForwardAddressResolver(policy: self.policy))
        let lanes = LaneTable()
        // An attempt that ends frees a slot: the loop looks again at once rather than after its idle pause.
        let slotFreed = Wakeup()
        self.logger.info("forwarding started")
        await withDiscardingTaskGroup { group in
            var prepared: Set<String> = []
            var lastClaim = ContinuousClock.now - self.configuration.claimInterval
            var lastSweep = ContinuousClock.now
            let idle = PollBackoff(first: .milliseconds(20), limit: .milliseconds(200))
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let current = self.currentLanes()
                // A destination removed from its file: its state goes once nothing of it is under way.
                let names = Set(current.map(\.name))
                lanes.withLock { state in state = state.filter { names.contains($0.key) || $0.value.inFlight > 0 } }
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
                /// Starts an attempt for each entry the lane's circuit lets through; the others wait for it, their
                /// retry due when it allows one again (no attempt counted).
                func dispatch(_ entries: [StreamEntry], _ lane: Lane) {
                    for entry in entries {
                        found = true
                        let now = WallClock.milliseconds()
                        let permit = lanes.withLock { state -> CircuitBreaker.Permit in
                            var laneState = lanes.current(lane, in: &state)
                            let permit = laneState.breaker.permit(now: now)
                            if case .wait = permit {} else { laneState.inFlight += 1 }
                            state[lane.name] = laneState
                            return permit
                        }
                        switch permit {
                        case .wait(let until):
                            group.addTask {
                                do throws(QueueError) {
                                    try await self.queue.scheduleRetry(entry, dueAtMilliseconds: until)
                                } catch {
                                    self.logger.warning("cannot postpone a forwarding delivery now", metadata: ["error": .string(error.description)])
                                }
                            }
                            continue
                        case .probe:
                            self.metrics.setCircuit(platform: lane.platform, destination: lane.destination.name, "half_open")
                        case .attempt:
                            break
                        }
                        group.addTask {
                            await self.attempt(entry, lane: lane, sender: sender, lanes: lanes)
                            lanes.withLock { $0[lane.name]?.inFlight -= 1 }
                            slotFreed.signal()
                        }
                    }
                }
                /// How many attempts `lane` may start now: none while it backs off after a queue failure.
                func capacity(_ lane: Lane) -> Int {
                    let now = WallClock.milliseconds()
                    return lanes.withLock { state in
                        let laneState = lanes.current(lane, in: &state)
                        guard ContinuousClock.now >= laneState.retryAt else { return 0 }
                        let free = max(0, lane.destination.maxInFlight - laneState.inFlight)
                        return min(free, laneState.breaker.capacity(now: now) ?? free)
                    }
                }
                let claimIdle = ContinuousClock.now - lastClaim >= self.configuration.claimInterval
                if claimIdle { lastClaim = ContinuousClock.now }
                for lane in current where prepared.contains(lane.name) {
                    do throws(QueueError) {
                        // Due retries first, on every pass: they are older than anything new.
                        var free = capacity(lane)
                        if free > 0 {
                            dispatch(
                                try await self.queue.claimDueRetries(
                                    platform: lane.name, consumer: self.configuration.consumerName,
                                    lease: lane.claimIdle(self.configuration.claimIdle), count: free), lane)
                        }
                        free = capacity(lane)
                        if claimIdle, free > 0 {
                            dispatch(
                                try await self.queue.claimIdle(
                                    platform: lane.name, consumer: self.configuration.consumerName,
                                    minIdle: lane.claimIdle(self.configuration.claimIdle), count: free), lane)
                        }
                        free = capacity(lane)
                        if free > 0 {
                            dispatch(
                                try await self.queue.read(
                                    platforms: [lane.name], consumer: self.configuration.consumerName, count: free, pending: false,
                                    block: .zero), lane)
                        }
                        lanes.withLock { $0[lane.name]?.failures = 0 }
                    } catch {
                        // This lane's queue (its cluster node) is unreachable: it waits, 100 ms doubling to 5 s; the
                        // first failure in a row is logged, then every tenth.
                        let failures = lanes.withLock { state -> Int in
                            state[lane.name]?.failures += 1
                            let failures = state[lane.name]?.failures ?? 1
                            state[lane.name]?.retryAt = ContinuousClock.now + QueueWorker.backoff(failures: failures)
                            return failures
                        }
                        if failures % 10 == 1 {
                            self.logger.warning(
                                "cannot read a forwarding lane now; it waits and tries again",
                                metadata: [
                                    "platform": .string(lane.platform), "destination": .string(lane.destination.name),
                                    "error": .string(error.description), "failures": .stringConvertible(failures),
                                ])
                        }
                    }
                }
                if ContinuousClock.now - lastSweep >= .seconds(30) {
                    lastSweep = ContinuousClock.now
                    await sender.closeIdleClients()
                }
                if found {
                    idle.reset()
                } else {
                    await slotFreed.wait(upTo: idle.next())
                }
            }
            // Attempts under way get a grace period to end; then they are cancelled and their deliveries stay pending,
            // unsettled and uncounted, for whichever forwarder takes them over.
            let deadline = ContinuousClock.now + Self.shutdownGrace
            while !Task.isCancelled, ContinuousClock.now < deadline, lanes.withLock({ $0.values.contains { $0.inFlight > 0 } }) {
                try? await Task.sleep(for: .milliseconds(20))
            }
            group.cancelAll()
        }
        await sender.close()
        self.logger.info("forwarding stopped")
    }

    /// How long attempts under way may go on after a graceful shutdown began.
    static let shutdownGrace: Duration = .seconds(5)

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
            // A body kept apart (1 KiB or more) that the queue did not find: refused by a full Redis, or evicted.
            let error = entry.missingBody ?? "malformed forwarding entry: no webhook_id or body"
            await Self.settle(logger: logger) { () async throws(QueueError) in
                guard try await self.queue.deadLetter(entry, error: error, attempts: 1) else { return }
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
        // Cancelled at shutdown: not this delivery's failure. It stays pending for another forwarder.
        if Task.isCancelled { return }
        let now = WallClock.milliseconds()
        if case .answered(let status, _) = outcome.result, (200...299).contains(status) {
            self.circuit(lane, lanes) { $0.succeeded() }
            await Self.settle(logger: logger) { () async throws(QueueError) in
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
        await Self.settle(logger: logger) { () async throws(QueueError) in
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
                guard try await self.queue.deadLetter(entry, error: error, attempts: attempts) else {
                    logger.notice("not dead-lettered: another forwarder took this delivery over and settled it first")
                    return
                }
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

    /// Runs `body`, the queue calls that settle an attempt; a queue failure is logged and leaves the entry pending.
    private static func settle(logger: Logger, _ body: () async throws(QueueError) -> Void) async {
        do throws(QueueError) {
            try await body()
        } catch {
            logger.error("queue unavailable while settling a forwarding attempt; it stays pending", metadata: ["error": .string(error.description)])
        }
    }

    /// Changes the lane's circuit and shows its state.
    private func circuit(_ lane: Lane, _ lanes: LaneTable, _ change: (inout CircuitBreaker) -> Void) {
        // An attempt started before a reload changed the destination's settings is not counted by the new breaker
        // (and never rebuilds the old one).
        let changed = lanes.withLock { state -> (String, String)? in
            guard var laneState = state[lane.name], laneState.settings == LaneState.settings(lane.destination) else { return nil }
            let before = laneState.breaker.name
            change(&laneState.breaker)
            state[lane.name] = laneState
            return (before, laneState.breaker.name)
        }
        guard let (before, after) = changed else { return }
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
