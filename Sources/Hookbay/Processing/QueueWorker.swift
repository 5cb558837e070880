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

    public func run() async throws {
        self.logger.info("worker started")
        // The schema first (PostgreSQL: migrations, waiting while the server cannot be reached); a server that
        // refuses this process's credentials or database stops it here, with the server's reason.
        let prepared: Result<Void, ContentStoreError>
        do {
            try await self.processor.store.prepare(timeout: .seconds(365 * 86_400), logger: self.logger)
            prepared = .success(())
        } catch {
            prepared = .failure(error)
        }
        if case .failure(let error) = prepared {
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            self.logger.critical("cannot use the content database", metadata: ["error": .string(error.description)])
            throw error
        }
        var resumed = false
        var lastClaim = ContinuousClock.now - self.configuration.claimInterval
        var failures = 0
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
                if !resumed {
                    try await self.queue.prepare(platforms: platforms)
                    // Own pending entries first: what this consumer read before a crash or restart. One pass: any
                    // left over are taken back by the idle claim.
                    let own = try await self.queue.read(
                        platforms: platforms, consumer: self.configuration.consumerName,
                        count: self.configuration.batchSize * 16, pending: true, block: .zero)
                    try await self.settleSuspects(own)
                    resumed = true
                }
                if ContinuousClock.now - lastClaim >= self.configuration.claimInterval {
                    lastClaim = ContinuousClock.now
                    for platform in platforms {
                        let due = try await self.queue.claimDueRetries(
                            platform: platform, consumer: self.configuration.consumerName,
                            lease: self.configuration.claimIdle, count: self.configuration.batchSize)
                        // Entries that already failed once are suspects too: one of them may crash its worker, and
                        // under a new consumer name (a replaced container) it would otherwise take a batch down
                        // every lease, uncounted.
                        try await self.settleSuspects(due)
                        let orphaned = try await self.queue.claimIdle(
                            platform: platform, consumer: self.configuration.consumerName,
                            minIdle: self.configuration.claimIdle, count: self.configuration.batchSize)
                        if !orphaned.isEmpty {
                            self.logger.info(
                                "took over entries from an idle consumer",
                                metadata: [
                                    "platform": .string(platform), "count": .stringConvertible(orphaned.count),
                                ])
                        }
                        try await self.settleSuspects(orphaned)
                    }
                }
                let fresh = try await self.queue.read(
                    platforms: platforms, consumer: self.configuration.consumerName,
                    count: self.configuration.batchSize, pending: false,
                    block: self.configuration.blockFor)
                try await self.settle(fresh)
                failures = 0
            } catch {
                failures += 1
                let wait = Duration.milliseconds(min(5000, 100 * (1 << min(failures, 6))))
                let what = error is ContentStoreError ? "content database unavailable" : "queue unavailable"
                self.logger.warning("\(what); worker retries", metadata: ["error": .string("\(error)"), "wait": .stringConvertible(wait)])
                resumed = false
                try? await Task.sleep(for: wait)
            }
        }
        self.logger.info("worker stopped")
    }

    /// Settles a read's entries as one batch (one database transaction, one acknowledgement per platform). Throws
    /// when the content database is unavailable: the entries stay pending, and the worker backs off, then resumes
    /// from its own pending entries.
    private func settle(_ entries: [StreamEntry]) async throws(ContentStoreError) {
        guard !entries.isEmpty else { return }
        for outcome in await self.processor.handle(batch: entries) {
            if case .storeUnavailable(let reason) = outcome { throw .unavailable(reason) }
        }
    }

    /// Settles entries some consumer was given and never settled (its process crashed, was killed or hung), one at a
    /// time: one of them may be what crashed it, and alone it takes no batch mate down with it again. Each is counted
    /// as interrupted until it settles; the ones interrupted least go first (innocent batch mates before the likely
    /// culprit), and one interrupted `retry.max_deliveries` times is dead-lettered without reaching its adapter again.
    /// Suspects take turns across the process's workers (``SuspectLane``): a crash interrupts one of them only.
    private func settleSuspects(_ entries: [StreamEntry]) async throws {
        guard !entries.isEmpty else { return }
        let counts = try await self.queue.interruptions(entries)
        let ordered = zip(entries, counts).enumerated().sorted { ($0.element.1, $0.offset) < ($1.element.1, $1.offset) }.map(\.element)
        for (entry, interrupted) in ordered {
            guard !Task.isShuttingDownGracefully else { return }
            let limit = self.processor.platforms.processingPlatform(entry.platform)?.config.retry.maxDeliveries ?? RetryPolicy().maxDeliveries
            if interrupted >= limit {
                await self.processor.deadLetterInterrupted(entry, interruptions: interrupted)
                continue
            }
            let (queue, processor) = (self.queue, self.processor)
            let unavailable = try await SuspectLane.shared.run { () async throws(QueueError) -> String? in
                try await queue.beginSuspectDelivery(entry)
                switch await processor.handle(batch: [entry])[0] {
                case .leftPending:
                    try await queue.clearInterruptions(entry)
                case .storeUnavailable(let reason):
                    // Not interrupted: the database was down. The rest wait for it too.
                    try await queue.clearInterruptions(entry)
                    return reason
                default:
                    break
                }
                return nil
            }
            if let unavailable { throw ContentStoreError.unavailable(unavailable) }
        }
    }
}
