import NIOCore

/// What happened to an event handed to the queue.
public enum EnqueueResult: Sendable, Equatable {
    /// Newly added to the platform's stream under this entry id.
    case accepted(streamID: String)
    /// Seen within the dedup TTL; nothing was added. `streamID` is where the first copy went.
    case duplicate(streamID: String?)
    /// The platform's shared rate-limit bucket (``QueuedEvent/sharedRateLimit``) had no token: nothing was added;
    /// one is back after this many milliseconds.
    case rateLimited(retryAfterMilliseconds: Int)
}

/// Queue depth of one platform.
public struct PlatformQueueStats: Sendable, Equatable, Codable {
    /// Accepted and not yet handed to a worker.
    public var pending: Int
    /// Handed to a worker and not yet acknowledged.
    public var processing: Int
    /// In the dead-letter stream.
    public var deadLetter: Int
    /// Applied, counted across every instance.
    public var processed: Int

    public init(pending: Int = 0, processing: Int = 0, deadLetter: Int = 0, processed: Int = 0) {
        self.pending = pending
        self.processing = processing
        self.deadLetter = deadLetter
        self.processed = processed
    }
}

/// Failures of the queue backend, all of which mean "not queued; try again later".
public struct QueueError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The durable queue between receiving and processing: Redis Streams, or the embedded in-process stand-in.
public protocol WebhookQueue: Sendable {
    /// Whether the queue keeps `rate_limit.scope: global` buckets itself, shared by every process on it (Redis); when
    /// not (the embedded queue, one process), the receiver's in-process bucket is the global one.
    var sharesRateLimits: Bool { get }
    /// Whether an accepted event survives this process (Redis) or not (embedded).
    var isDurable: Bool { get }
    /// A short name for logs and `/readyz` (`redis`, `embedded`).
    var backendName: String { get }
    /// Creates each platform's stream and consumer group if missing.
    func prepare(platforms: [String]) async throws(QueueError)
    /// Atomically: a duplicate when the event id is known, else append to the stream and remember the id for `ttlSeconds`.
    func enqueue(_ event: QueuedEvent, ttlSeconds: Int) async throws(QueueError) -> EnqueueResult
    /// ``enqueue(_:ttlSeconds:)`` for code running on `eventLoop`, without a task: the future completes on
    /// `eventLoop` and fails with a ``QueueError``.
    func enqueue(_ event: QueuedEvent, ttlSeconds: Int, on eventLoop: any EventLoop) -> EventLoopFuture<EnqueueResult>
    /// Depth of one platform's queues.
    func stats(platform: String) async throws(QueueError) -> PlatformQueueStats
    /// Succeeds when the backend can take events.
    func ping() async throws(QueueError)

    // MARK: Consuming (the consumer group `webhook-processors`)

    /// Reads up to `count` entries per platform for `consumer`: with `pending` its own delivered-but-unacknowledged
    /// ones (to resume after a restart), otherwise new ones, waiting up to `block` for some to arrive.
    func read(platforms: [String], consumer: String, count: Int, pending: Bool, block: Duration) async throws(QueueError) -> [StreamEntry]
    /// Takes over entries another consumer left unacknowledged for longer than `minIdle` (it crashed), except those
    /// with a retry schedule, due or not (``claimDueRetries(platform:consumer:lease:count:)`` takes those). Entries
    /// deleted meanwhile are dropped from the pending list.
    func claimIdle(platform: String, consumer: String, minIdle: Duration, count: Int) async throws(QueueError) -> [StreamEntry]
    /// Takes the entries whose retry is due, leasing them to `consumer` for `lease` so no other worker takes them.
    func claimDueRetries(platform: String, consumer: String, lease: Duration, count: Int) async throws(QueueError) -> [StreamEntry]
    /// Success: acknowledges and deletes the entries (the stream keeps only live work) and counts each as processed —
    /// once: an entry already acknowledged (settled by another consumer after a takeover) is not counted again. In the
    /// same step, each entry this call settled has its `fanOut` deliveries added to their lanes. One round trip per
    /// platform.
    func complete(_ entries: [StreamEntry], fanOut: [FanOut]) async throws(QueueError)
    /// Counts a failed attempt at an entry; returns the number of failed attempts so far.
    func recordFailedAttempt(_ entry: StreamEntry) async throws(QueueError) -> Int
    /// Leaves the entry pending and due again at `dueAtMilliseconds` (Unix ms).
    func scheduleRetry(_ entry: StreamEntry, dueAtMilliseconds: Int64) async throws(QueueError)
    /// Atomically adds the entry to the dead-letter stream with its error, then acknowledges and deletes it; on Redis,
    /// an entry whose body is kept apart and that is no longer in the stream (another consumer took it over and settled
    /// it) is only forgotten. Returns whether a dead-letter entry was written (false: only forgotten).
    @discardableResult
    func deadLetter(_ entry: StreamEntry, error: String, attempts: Int) async throws(QueueError) -> Bool
    /// How many times each entry was processed alone as a suspect without being settled (see
    /// ``beginSuspectDelivery(_:)``), in order. Settling an entry (completed, retry scheduled, dead-lettered) forgets it.
    func interruptions(_ entries: [StreamEntry]) async throws(QueueError) -> [Int]
    /// Counts a delivery of a suspect entry about to be processed alone, as interrupted until it settles.
    func beginSuspectDelivery(_ entry: StreamEntry) async throws(QueueError)
    /// Forgets an entry's interrupted deliveries.
    func clearInterruptions(_ entry: StreamEntry) async throws(QueueError)
    /// Takes back the count ``beginSuspectDelivery(_:)`` added: that delivery ended without being interrupted, the
    /// entry left pending on purpose (no adapter now, the queue or the content database unavailable). Earlier
    /// interruptions stay counted.
    func withdrawSuspectDelivery(_ entry: StreamEntry) async throws(QueueError)

    // MARK: The dead-letter queue

    /// Up to `count` dead-letter entries past `after` (`nil`: from the first): oldest first, ids after `after`; or with
    /// `newestFirst`, newest first, ids before `after`.
    func deadLetters(platform: String, after: String?, count: Int, newestFirst: Bool) async throws(QueueError) -> [StreamEntry]
    /// Moves the given dead-letter entries (all, when `ids` is nil) back to the platform's stream, each atomically.
    /// Returns how many were replayed and which ids were not found.
    func replayDeadLetters(platform: String, ids: [String]?) async throws(QueueError) -> (replayed: Int, missing: [String])
    /// Deletes the given dead-letter entries; returns how many existed.
    func purgeDeadLetters(platform: String, ids: [String]) async throws(QueueError) -> Int
}

extension WebhookQueue {
    /// Up to `count` dead-letter entries with ids after `after` (`nil`: from the start), oldest first.
    public func deadLetters(platform: String, after: String?, count: Int) async throws(QueueError) -> [StreamEntry] {
        try await self.deadLetters(platform: platform, after: after, count: count, newestFirst: false)
    }

    /// ``complete(_:fanOut:)`` with nothing to forward.
    public func complete(_ entries: [StreamEntry]) async throws(QueueError) {
        try await self.complete(entries, fanOut: [])
    }
}
