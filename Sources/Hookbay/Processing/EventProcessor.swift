import Foundation
import HookbayJSON
import HookbayPluginKit
import Logging

/// Takes one stream entry through its platform's adapter into the content database, and settles it in the queue:
/// completed, scheduled for a retry, or dead-lettered. Never loses an entry: whatever it cannot settle stays pending
/// and is claimed again.
public struct EventProcessor: Sendable {
    /// How an entry was settled.
    public enum Outcome: Sendable, Equatable {
        case applied
        /// Applied before (a redelivery): acknowledged, nothing written.
        case alreadyApplied
        case retryScheduled(attempt: Int, dueAtMilliseconds: Int64)
        case deadLettered(error: String)
        /// Left pending (no adapter for the platform now, or the queue failed); it will be claimed again.
        case leftPending(reason: String)
    }

    public let platforms: PlatformRegistry
    public let queue: any WebhookQueue
    public let store: ContentStore
    public let metrics: WebhookMetrics
    public let logger: Logger

    public init(platforms: PlatformRegistry, queue: any WebhookQueue, store: ContentStore, metrics: WebhookMetrics, logger: Logger) {
        self.platforms = platforms
        self.queue = queue
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    /// Processes and settles `entry`.
    @discardableResult
    public func handle(_ entry: StreamEntry) async -> Outcome {
        var logger = self.logger
        logger[metadataKey: "platform"] = .string(entry.platform)
        logger[metadataKey: "stream_id"] = .string(entry.id)
        if let eventID = entry.string("event_id") { logger[metadataKey: "event_id"] = .string(eventID) }
        guard let platform = self.platforms.processingPlatform(entry.platform) else {
            logger.warning("no adapter for this platform now; entry left pending")
            return .leftPending(reason: "platform \(entry.platform) is not loaded")
        }
        let start = ContinuousClock.now
        defer { self.metrics.observe(.processing, platform: entry.platform, ContinuousClock.now - start) }
        do {
            return try await self.process(entry, platform: platform, logger: logger)
        } catch {
            logger.error("queue unavailable while settling an entry; it stays pending", metadata: ["error": .string("\(error)")])
            return .leftPending(reason: "\(error)")
        }
    }

    private func process(_ entry: StreamEntry, platform: ServedPlatform, logger: Logger) async throws(QueueError) -> Outcome {
        let event: AdapterEvent
        do {
            event = try Self.event(from: entry)
        } catch {
            return try await self.deadLetter(entry, error: "malformed stream entry: \(error.message)", attempts: 1, logger: logger)
        }
        let failure: AdapterError
        do {
            let updates = try platform.adapter.process(event)
            do {
                let outcome = try await self.store.apply(
                    platform: event.platform, eventID: event.eventID, eventType: event.eventType,
                    eventTime: Self.eventTime(event), updates: updates
                )
                try await self.queue.complete(entry)
                self.metrics.record(.processed, platform: entry.platform)
                logger.debug("processed", metadata: ["updates": .stringConvertible(updates.count)])
                return outcome == .applied ? .applied : .alreadyApplied
            } catch let error as QueueError {
                throw error
            } catch {
                failure = .retryable("database: \(error)")
            }
        } catch let error as AdapterError {
            failure = error
        } catch let error as QueueError {
            throw error
        } catch {
            failure = .retryable("\(error)")
        }
        switch failure {
        case .invalid(let message):
            return try await self.deadLetter(entry, error: "invalid: \(message)", attempts: try await self.queue.recordFailedAttempt(entry), logger: logger)
        case .retryable(let message):
            let attempts = try await self.queue.recordFailedAttempt(entry)
            let policy = platform.config.retry
            guard policy.shouldRetry(afterFailedAttempts: attempts) else {
                return try await self.deadLetter(entry, error: "failed after \(attempts) attempts: \(message)", attempts: attempts, logger: logger)
            }
            let due = WallClock.milliseconds() + policy.delayMilliseconds(afterFailedAttempts: attempts)
            try await self.queue.scheduleRetry(entry, dueAtMilliseconds: due)
            self.metrics.recordRetried(platform: entry.platform)
            logger.warning("processing failed; retry scheduled", metadata: [
                "attempt": .stringConvertible(attempts), "due_at": .stringConvertible(due), "error": .string(message),
            ])
            return .retryScheduled(attempt: attempts, dueAtMilliseconds: due)
        }
    }

    private func deadLetter(_ entry: StreamEntry, error: String, attempts: Int, logger: Logger) async throws(QueueError) -> Outcome {
        try await self.queue.deadLetter(entry, error: error, attempts: attempts)
        self.metrics.recordDeadLettered(platform: entry.platform)
        logger.error("dead-lettered", metadata: ["error": .string(error), "attempts": .stringConvertible(attempts)])
        return .deadLettered(error: error)
    }

    /// The adapter event of a stream entry: its fields plus the envelope's payload and timestamp.
    static func event(from entry: StreamEntry) throws(AdapterError) -> AdapterEvent {
        guard let eventID = entry.string("event_id"), let eventType = entry.string("event_type"),
              let receivedText = entry.string("received_at"), let receivedAt = Int64(receivedText),
              let envelope = entry.fields["envelope"] else {
            throw .invalid("missing event_id, event_type, received_at or envelope")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(envelope.readableBytesView)
        } catch {
            throw .invalid("envelope is not JSON: \(error)")
        }
        let pointer = entry.string("payload_pointer") ?? "/payload"
        guard let payload = document.value(atPointer: pointer), case .object = payload else {
            throw .invalid("envelope has no payload object at '\(pointer)'")
        }
        return AdapterEvent(
            platform: entry.platform, eventType: eventType, sourceEventType: entry.string("source_event_type") ?? eventType,
            eventID: eventID, receivedAt: receivedAt,
            timestamp: entry.string("timestamp") ?? document["timestamp"]?.stringValue ?? "", payload: payload
        )
    }

    /// When the event happened, for ordering: its RFC 3339 `timestamp`, else when Hookbay received it.
    static func eventTime(_ event: AdapterEvent) -> Int64 {
        EventTime.milliseconds(rfc3339: event.timestamp) ?? event.receivedAt
    }
}
