import Logging
import ServiceLifecycle

/// Settings of one worker.
public struct WorkerConfiguration: Sendable {
    /// Consumer name in the group; stable across restarts so a worker resumes its own pending entries.
    public var consumerName: String
    /// Entries per read, per platform, settled as one batch (one transaction, one acknowledgement). Default 256.
    public var batchSize: Int = 256
    /// How long a read waits for new entries. Default 1 s.
    public var blockFor: Duration = .seconds(1)
    /// Entries idle longer than this are taken over from a crashed consumer. Default 60 s.
    public var claimIdle: Duration = .seconds(60)
    /// How often idle entries and due retries are looked for. Default 1 s.
    public var claimInterval: Duration = .seconds(1)

    public init(consumerName: String) {
        self.consumerName = consumerName
    }
}

/// A consumer in the group `webhook-processors`: resumes its own pending entries, then reads new ones, takes over
/// entries a crashed consumer left behind, and runs due retries. A `Service`: it stops between batches on graceful
/// shutdown, leaving nothing half-settled.
public struct QueueWorker: Service, Sendable {
    public let configuration: WorkerConfiguration
    public let queue: any WebhookQueue
    public let processor: EventProcessor
    public let logger: Logger

    public init(configuration: WorkerConfiguration, queue: any WebhookQueue, processor: EventProcessor, logger: Logger) {
        self.configuration = configuration
        self.queue = queue
        self.processor = processor
        var logger = logger
        logger[metadataKey: "consumer"] = .string(configuration.consumerName)
        self.logger = logger
    }

    private func logClaimFailure(_ error: QueueError, platform: String) {
        self.logger.warning("cannot claim a platform's entries now", metadata: ["platform": .string(platform), "error": .string(error.description)])
    }

    public func run() async throws {
        self.logger.info("worker started")
        // The schema first (PostgreSQL: migrations, waiting while the server cannot be reached); a server that
        // refuses this process's credentials or database stops it here, with the server's reason.
        do {
            try await self.processor.store.prepare(timeout: .seconds(365 * 86_400), logger: self.logger)
        } catch {
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            self.logger.critical("cannot use the content database", metadata: ["error": .string(error.description)])
            throw error
        }
        var resumed = false
        var lastClaim = ContinuousClock.now - self.configuration.claimInterval
        var failures = 0
        // Entries this worker holds that met a content database outage: taken again first, as they were (a batch, or
        // suspects), once it is back; meanwhile nothing new is read.
        var held: StoreOutage?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let platforms = self.processor.platforms.processingIDs
            guard !platforms.isEmpty else {
                // Nothing to read yet (an empty config directory, every file refused, every platform paused): wait
                // for a reload or a registration to add one, without spinning.
                try? await Task.sleep(for: self.configuration.blockFor)
                resumed = false
                continue
            }
            do {
                if let outage = held {
                    held = nil
                    if outage.suspects {
                        try await self.settleSuspects(outage.entries, readAt: outage.readAt)
                    } else {
                        try await self.settle(outage.entries, readAt: outage.readAt)
                    }
                }
                if !resumed {
                    try await self.queue.prepare(platforms: platforms)
                    // Own pending entries first: what this consumer read before a crash or restart. One pass: any
                    // left over are taken back by the idle claim.
                    let readAt = ContinuousClock.now
                    let own = try await self.queue.read(
                        platforms: platforms, consumer: self.configuration.consumerName,
                        count: self.configuration.batchSize * 16, pending: true, block: .zero)
                    try await self.settleSuspects(own, readAt: readAt)
                    resumed = true
                }
                if ContinuousClock.now - lastClaim >= self.configuration.claimInterval {
                    lastClaim = ContinuousClock.now
                    // A platform whose queue cannot be reached (its Redis Cluster node down) does not hold up the
                    // others' claims; when none can be reached, the queue is down.
                    var claimFailure: QueueError?
                    var claimed = false
                    for platform in platforms {
                        let readAt = ContinuousClock.now
                        let due: [StreamEntry]
                        do throws(QueueError) {
                            due = try await self.queue.claimDueRetries(
                                platform: platform, consumer: self.configuration.consumerName,
                                lease: self.configuration.claimIdle, count: self.configuration.batchSize)
                            claimed = true
                        } catch {
                            claimFailure = error
                            self.logClaimFailure(error, platform: platform)
                            continue
                        }
                        // Entries that already failed once are suspects too: one of them may crash its worker, and
                        // under a new consumer name (a replaced container) it would otherwise take a batch down
                        // every lease, uncounted.
                        try await self.settleSuspects(due, readAt: readAt)
                        let orphaned: [StreamEntry]
                        do throws(QueueError) {
                            orphaned = try await self.queue.claimIdle(
                                platform: platform, consumer: self.configuration.consumerName,
                                minIdle: self.configuration.claimIdle, count: self.configuration.batchSize)
                        } catch {
                            self.logClaimFailure(error, platform: platform)
                            continue
                        }
                        if !orphaned.isEmpty {
                            self.logger.info(
                                "took over entries from an idle consumer",
                                metadata: [
                                    "platform": .string(platform), "count": .stringConvertible(orphaned.count),
                                ])
                        }
                        try await self.settleSuspects(orphaned, readAt: readAt)
                    }
                    if !claimed, let claimFailure { throw claimFailure }
                }
                let readAt = ContinuousClock.now
                let fresh = try await self.queue.read(
                    platforms: platforms, consumer: self.configuration.consumerName,
                    count: self.configuration.batchSize, pending: false,
                    block: self.configuration.blockFor)
                try await self.settle(fresh, readAt: readAt)
                failures = 0
            } catch let outage as StoreOutage {
                failures += 1
                let wait = Self.backoff(failures: failures)
                self.logger.warning(
                    "content database unavailable; worker holds its entries and retries",
                    metadata: [
                        "error": .string(outage.reason), "entries": .stringConvertible(outage.entries.count), "wait": .stringConvertible(wait),
                    ])
                // Held only while no other worker can claim them (they are idle from the read on): past half of
                // --claim-idle they are left pending, for the idle claim to hand out one at a time.
                if ContinuousClock.now - outage.readAt < self.configuration.claimIdle / 2 {
                    held = outage
                } else {
                    self.logger.warning(
                        "content database still unavailable; entries left pending for the idle claim",
                        metadata: ["entries": .stringConvertible(outage.entries.count)])
                }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
            } catch {
                failures += 1
                let wait = Self.backoff(failures: failures)
                self.logger.warning("queue unavailable; worker retries", metadata: ["error": .string("\(error)"), "wait": .stringConvertible(wait)])
                resumed = false
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
            }
        }
        self.logger.info("worker stopped")
    }

    /// 100 ms doubling to 5 s.
    static func backoff(failures: Int) -> Duration {
        .milliseconds(min(5000, 100 * (1 << min(failures, 6))))
    }

    /// Entries left pending by a content database outage, to take again once it is back: a batch, or suspects (which
    /// stay suspects, processed alone). Their attempts and interruptions are not counted.
    struct StoreOutage: Error {
        var entries: [StreamEntry]
        var suspects: Bool
        var reason: String
        /// When they were read or claimed: from then on they are idle in Redis's eyes.
        var readAt: ContinuousClock.Instant
    }

    /// Settles a read's entries as one batch (one database transaction, one acknowledgement per platform). Throws
    /// ``StoreOutage`` with the entries the content database could not take: they stay pending, this worker holds
    /// them, backs off and tries them again.
    private func settle(_ entries: [StreamEntry], readAt: ContinuousClock.Instant) async throws(StoreOutage) {
        guard !entries.isEmpty else { return }
        var unsettled: [StreamEntry] = []
        var reason = ""
        for (entry, outcome) in zip(entries, await self.processor.handle(batch: entries)) {
            if case .storeUnavailable(let why) = outcome {
                unsettled.append(entry)
                reason = why
            }
        }
        if !unsettled.isEmpty { throw StoreOutage(entries: unsettled, suspects: false, reason: reason, readAt: readAt) }
    }

    /// Settles entries some consumer was given and never settled (its process crashed, was killed or hung), one at a
    /// time: one of them may be what crashed it, and alone it takes no batch mate down with it again. Each is counted
    /// as interrupted until it settles; the ones interrupted least go first (innocent batch mates before the likely
    /// culprit), and one interrupted `retry.max_deliveries` times is dead-lettered without reaching its adapter again.
    /// Suspects take turns across the process's workers (``AsyncLane/suspects``): a crash interrupts one of them only.
    private func settleSuspects(_ entries: [StreamEntry], readAt: ContinuousClock.Instant) async throws {
        guard !entries.isEmpty else { return }
        let counts = try await self.queue.interruptions(entries)
        let ordered = zip(entries, counts).enumerated().sorted { ($0.element.1, $0.offset) < ($1.element.1, $1.offset) }.map(\.element)
        for (position, (entry, interrupted)) in ordered.enumerated() {
            guard !Task.isShuttingDownGracefully else { return }
            let limit = self.processor.platforms.processingPlatform(entry.platform)?.config.retry.maxDeliveries ?? RetryPolicy().maxDeliveries
            if interrupted >= limit {
                await self.processor.deadLetterInterrupted(entry, interruptions: interrupted)
                continue
            }
            let (queue, processor) = (self.queue, self.processor)
            let unavailable = try await AsyncLane.suspects.run { () async throws(QueueError) -> String? in
                try await queue.beginSuspectDelivery(entry)
                switch await processor.handle(batch: [entry])[0] {
                case .leftPending:
                    try await queue.withdrawSuspectDelivery(entry)
                case .storeUnavailable(let reason):
                    // Not interrupted: the database was down (its earlier interruptions stay counted). The rest wait
                    // for it too.
                    try await queue.withdrawSuspectDelivery(entry)
                    return reason
                default:
                    break
                }
                return nil
            }
            if let unavailable {
                throw StoreOutage(entries: ordered[position...].map(\.0), suspects: true, reason: unavailable, readAt: readAt)
            }
        }
    }
}
