import Logging
import ServiceLifecycle

/// Refreshes the queue-depth gauges (pending, processing, dead-letter per platform) in the background, and adds a point
/// to the metrics' ``TrafficHistory`` after each pass.
public struct QueueDepthMonitor: Service, Sendable {
    public let queue: any WebhookQueue
    public let platforms: PlatformRegistry
    public let metrics: WebhookMetrics
    public let interval: Duration
    public let logger: Logger
    /// Time between two passes (and two points of the traffic history).
    public static let defaultInterval = Duration.seconds(5)

    public init(
        queue: any WebhookQueue, platforms: PlatformRegistry, metrics: WebhookMetrics, interval: Duration = QueueDepthMonitor.defaultInterval,
        logger: Logger
    ) {
        self.queue = queue
        self.platforms = platforms
        self.metrics = metrics
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var read: [String: PlatformQueueStats?] = [:]
                // Paused and disabled platforms too: a backlog waiting behind a pause is what an operator looks for.
                for platform in Set(self.platforms.processingIDs).union(self.platforms.all.map(\.id)).sorted() {
                    do {
                        let stats = try await self.queue.stats(platform: platform)
                        read[platform] = stats
                        self.metrics.setQueueDepth(platform: platform, stats)
                    } catch {
                        read[platform] = .some(nil)
                        self.logger.debug("queue depth unavailable", metadata: ["platform": .string(platform), "error": .string("\(error)")])
                    }
                    for destination in self.platforms.processingPlatform(platform)?.config.destinations ?? [] {
                        let lane = QueueKeys.lane(platform: platform, destination: destination.name)
                        do {
                            self.metrics.forward.setQueueDepth(
                                platform: platform, destination: destination.name, try await self.queue.stats(platform: lane))
                        } catch {
                            self.logger.debug("queue depth unavailable", metadata: ["lane": .string(lane), "error": .string("\(error)")])
                        }
                    }
                }
                self.metrics.sampleHistory(queue: read)
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}
