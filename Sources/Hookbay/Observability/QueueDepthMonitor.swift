import Logging
import ServiceLifecycle

/// Refreshes the queue-depth gauges (pending, processing, dead-letter per platform) in the background.
public struct QueueDepthMonitor: Service, Sendable {
    public let queue: any WebhookQueue
    public let platforms: PlatformRegistry
    public let metrics: WebhookMetrics
    public let interval: Duration
    public let logger: Logger

    public init(queue: any WebhookQueue, platforms: PlatformRegistry, metrics: WebhookMetrics, interval: Duration = .seconds(5), logger: Logger) {
        self.queue = queue
        self.platforms = platforms
        self.metrics = metrics
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                for platform in self.platforms.processingIDs {
                    do {
                        self.metrics.setQueueDepth(platform: platform, try await self.queue.stats(platform: platform))
                    } catch {
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
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}
