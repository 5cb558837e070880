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
        /// Not dead-lettered: another consumer took the entry over (it stayed idle too long) and settled it first, so
        /// its body kept apart is no longer its own. Nothing was written.
        case settledElsewhere
        /// Left pending (no adapter for the platform now, or the queue failed); it will be claimed again.
        case leftPending(reason: String)
        /// Left pending because the content database cannot be reached or cannot work now; its attempts are not
        /// counted. The worker backs off and takes it again.
        case storeUnavailable(reason: String)
    }

    public let platforms: PlatformRegistry
    public let queue: any WebhookQueue
    public let store: any ContentStore
    public let metrics: WebhookMetrics
    public let logger: Logger

    public init(platforms: PlatformRegistry, queue: any WebhookQueue, store: any ContentStore, metrics: WebhookMetrics, logger: Logger) {
        self.platforms = platforms
        self.queue = queue
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    /// Processes and settles `entry`.
    @discardableResult
    public func handle(_ entry: StreamEntry) async -> Outcome {
        await self.handle(batch: [entry])[0]
    }

    /// Processes and settles entries read together, the outcomes in the same order: each through its adapter, then
    /// the successful ones' updates in one database transaction and one acknowledgement per platform; each failure
    /// is settled on its own (retry or dead letter).
    public func handle(batch entries: [StreamEntry]) async -> [Outcome] {
        let start = ContinuousClock.now
        var outcomes = [Outcome?](repeating: nil, count: entries.count)
        var ready: [(index: Int, platform: ServedPlatform, application: ContentApplication)] = []
        // The deliveries each ready entry makes to its platform's destinations, added when it is completed.
        var fanOut: [FanOut] = []
        var failed: [(index: Int, platform: ServedPlatform, failure: Failure)] = []
        for (index, entry) in entries.enumerated() {
            guard let platform = self.platforms.processingPlatform(entry.platform) else {
                self.logger(for: entry).warning("no adapter for this platform now; entry left pending")
                outcomes[index] = .leftPending(reason: "platform \(entry.platform) is not loaded")
                continue
            }
            switch Self.prepare(entry, adapter: platform.adapter) {
            case .success(let (application, event)):
                ready.append((index, platform, application))
                if !platform.config.destinations.isEmpty {
                    fanOut += ForwardDelivery.fanOut(
                        entry: entry, event: event, updates: application.updates, destinations: platform.config.destinations)
                }
            case .failure(let failure): failed.append((index, platform, failure))
            }
        }
        if !ready.isEmpty {
            // One transaction for the batch; if the database refuses it, one per event, so that an event the
            // database refuses does not drag its batch mates into the dead-letter queue. An outage leaves every
            // event pending, its attempts untouched: no event is dead-lettered because the database was down.
            var applied: [(index: Int, platform: String, outcome: ApplyOutcome)] = []
            do throws(ContentStoreError) {
                let outcomes = try await self.store.apply(ready.map(\.application))
                applied = zip(ready, outcomes).map { ($0.index, $0.application.platform, $1) }
            } catch .refused, .failed {
                var unavailable: ContentStoreError?
                for (index, platform, application) in ready {
                    if let unavailable {
                        outcomes[index] = .storeUnavailable(reason: unavailable.description)
                        continue
                    }
                    do throws(ContentStoreError) {
                        applied.append((index, application.platform, try await self.store.apply([application])[0]))
                    } catch .refused(let reason) {
                        failed.append((index, platform, .refused(reason)))
                    } catch .failed(let reason) {
                        failed.append((index, platform, .adapter(.retryable("content database: \(reason)"))))
                    } catch {
                        unavailable = error
                        outcomes[index] = .storeUnavailable(reason: error.description)
                    }
                }
            } catch {
                // Unavailable, or refusing this process (credentials changed under it): nothing is the events' fault.
                self.logger.warning("content database unavailable; the batch stays pending", metadata: ["error": .string(error.description)])
                for (index, _, _) in ready { outcomes[index] = .storeUnavailable(reason: error.description) }
            }
            if !applied.isEmpty {
                Failpoint.hit(.afterCommit)
                do {
                    try await self.queue.complete(applied.map { entries[$0.index] }, fanOut: fanOut)
                    for (index, platform, outcome) in applied {
                        outcomes[index] = outcome == .applied ? .applied : .alreadyApplied
                        self.metrics.record(.processed, platform: platform)
                    }
                    self.logger.debug("processed a batch", metadata: ["entries": .stringConvertible(applied.count)])
                } catch {
                    // Applied but not acknowledged: pending; a redelivery finds them applied and only acknowledges.
                    self.logger.error("queue unavailable while settling entries; they stay pending", metadata: ["error": .string("\(error)")])
                    for (index, _, _) in applied { outcomes[index] = .leftPending(reason: "\(error)") }
                }
            }
        }
        for (index, platform, failure) in failed {
            let entry = entries[index]
            do {
                outcomes[index] = try await self.settle(entry, failure: failure, platform: platform, logger: self.logger(for: entry))
            } catch {
                self.logger(for: entry).error("queue unavailable while settling an entry; it stays pending", metadata: ["error": .string("\(error)")])
                outcomes[index] = .leftPending(reason: "\(error)")
            }
        }
        let elapsed = ContinuousClock.now - start
        for entry in entries { self.metrics.observe(.processing, platform: entry.platform, elapsed) }
        return outcomes.map { $0! }
    }

    /// Why an entry could not be applied.
    enum Failure: Error {
        case malformed(String)
        case adapter(AdapterError)
        /// The database refused the event's updates: it would again.
        case refused(String)
    }

    /// The entry's event and its adapter's updates, or why not.
    static func prepare(_ entry: StreamEntry, adapter: AdapterInstance) -> Result<(ContentApplication, AdapterEvent), Failure> {
        let event: AdapterEvent
        do {
            event = try Self.event(from: entry)
        } catch {
            return .failure(.malformed(error.message))
        }
        do {
            let updates = try adapter.process(event)
            let application = ContentApplication(
                platform: event.platform, deliveryID: entry.id, eventID: event.eventID, eventType: event.eventType,
                eventTime: Self.eventTime(event), updates: updates)
            return .success((application, event))
        } catch {
            return .failure(.adapter(error))
        }
    }

    private func logger(for entry: StreamEntry) -> Logger {
        var logger = self.logger
        logger[metadataKey: "platform"] = .string(entry.platform)
        logger[metadataKey: "stream_id"] = .string(entry.id)
        if let eventID = entry.string("event_id") { logger[metadataKey: "event_id"] = .string(eventID) }
        return logger
    }

    /// Settles a failed entry: dead-lettered when invalid or out of attempts, else scheduled for a retry.
    private func settle(_ entry: StreamEntry, failure: Failure, platform: ServedPlatform, logger: Logger) async throws(QueueError) -> Outcome {
        switch failure {
        case .malformed(let message):
            return try await self.deadLetter(entry, error: "malformed stream entry: \(message)", attempts: 1, logger: logger)
        case .refused(let message):
            return try await self.deadLetter(
                entry, error: "the content database refused its updates: \(message)", attempts: try await self.queue.recordFailedAttempt(entry),
                logger: logger)
        case .adapter(.invalid(let message)):
            return try await self.deadLetter(
                entry, error: "invalid: \(message)", attempts: try await self.queue.recordFailedAttempt(entry), logger: logger)
        case .adapter(.retryable(let message)):
            let attempts = try await self.queue.recordFailedAttempt(entry)
            let policy = platform.config.retry
            guard policy.shouldRetry(afterFailedAttempts: attempts) else {
                return try await self.deadLetter(entry, error: "failed after \(attempts) attempts: \(message)", attempts: attempts, logger: logger)
            }
            let due = WallClock.milliseconds() + policy.delayMilliseconds(afterFailedAttempts: attempts)
            try await self.queue.scheduleRetry(entry, dueAtMilliseconds: due)
            self.metrics.recordRetried(platform: entry.platform)
            logger.warning(
                "processing failed; retry scheduled",
                metadata: [
                    "attempt": .stringConvertible(attempts), "due_at": .stringConvertible(due), "error": .string(message),
                ])
            return .retryScheduled(attempt: attempts, dueAtMilliseconds: due)
        }
    }

    /// Dead-letters an entry whose processing was interrupted `interruptions` times (its worker crashed, was killed or
    /// hung each time), without handing it to its adapter again. A queue failure leaves it pending for the next try.
    @discardableResult
    public func deadLetterInterrupted(_ entry: StreamEntry, interruptions: Int) async -> Outcome {
        let error =
            "processing was interrupted \(interruptions + 1) times without settling (the worker crashed, was killed or hung "
            + "while processing this event); dead-lettered without reaching the adapter again"
        do {
            return try await self.deadLetter(entry, error: error, attempts: interruptions + 1, logger: self.logger(for: entry))
        } catch {
            self.logger(for: entry).error(
                "queue unavailable while dead-lettering an entry; it stays pending", metadata: ["error": .string("\(error)")])
            return .leftPending(reason: "\(error)")
        }
    }

    private func deadLetter(_ entry: StreamEntry, error: String, attempts: Int, logger: Logger) async throws(QueueError) -> Outcome {
        guard try await self.queue.deadLetter(entry, error: error, attempts: attempts) else {
            logger.notice(
                "not dead-lettered: another consumer took this entry over and settled it first", metadata: ["error": .string(error)])
            return .settledElsewhere
        }
        self.metrics.recordDeadLettered(platform: entry.platform)
        logger.error("dead-lettered", metadata: ["error": .string(error), "attempts": .stringConvertible(attempts)])
        return .deadLettered(error: error)
    }

    /// The adapter event of a stream entry: its fields plus the envelope's payload and timestamp.
    static func event(from entry: StreamEntry) throws(AdapterError) -> AdapterEvent {
        guard let eventID = entry.string("event_id"), let eventType = entry.string("event_type"),
            let receivedText = entry.string("received_at"), let receivedAt = Int64(receivedText),
            let envelope = entry.fields["envelope"]
        else {
            if let missing = entry.missingBody { throw .invalid(missing) }
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
