import Logging
import ServiceLifecycle

/// Prunes the content database's `applied_events` in the background: a row is needed only while its delivery can
/// still be redelivered (it stays pending until acknowledged), so rows are kept for twice the longest dedup TTL of
/// the platforms served, then deleted.
public struct AppliedEventsRetention: Service, Sendable {
    public let store: any ContentStore
    public let platforms: PlatformRegistry
    /// Time between two prunings. Default 10 minutes.
    public let interval: Duration
    public let logger: Logger

    public init(store: any ContentStore, platforms: PlatformRegistry, interval: Duration = .seconds(600), logger: Logger) {
        self.store = store
        self.platforms = platforms
        self.interval = interval
        self.logger = logger
    }

    /// How long rows are kept: twice the longest dedup TTL served (default TTL: 24 h, so 48 h).
    public static func retentionMilliseconds(platforms: [ServedPlatform]) -> Int64 {
        let longest = platforms.map(\.config.dedupTTLSeconds).max() ?? PlatformConfig(id: "", secrets: [], sourceFile: "").dedupTTLSeconds
        return 2 * Int64(longest) * 1000
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                // Graceful shutdown ends the wait at once: nothing is lost by pruning later.
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
            let served = self.platforms.all
            let cutoff = WallClock.milliseconds() - Self.retentionMilliseconds(platforms: served)
            // Served (paused ones too) and removed platforms alike.
            let ids = Set(self.platforms.processingIDs).union(served.map(\.id)).sorted()
            do {
                let deleted = try await self.store.pruneAppliedEvents(olderThanMilliseconds: cutoff, platforms: ids)
                if deleted > 0 { self.logger.info("pruned applied events", metadata: ["rows": .stringConvertible(deleted)]) }
            } catch {
                self.logger.warning("cannot prune applied events", metadata: ["error": .string("\(error)")])
            }
        }
    }
}
