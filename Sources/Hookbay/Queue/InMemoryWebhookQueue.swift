import NIOCore
import Synchronization

/// The embedded queue: the same semantics as the Redis one (streams, one consumer group with pending lists, idle
/// claims, dedup with TTL, atomic dedup+enqueue, retries, dead letters) in this process's memory. Nothing survives a
/// restart: for trying Hookbay out and for tests.
public final class InMemoryWebhookQueue: WebhookQueue {
    /// A stream entry id `ms-seq`, ordered as Redis orders them.
    struct StreamID: Comparable, Hashable, CustomStringConvertible {
        var milliseconds: Int64
        var sequence: Int64
        static func < (a: StreamID, b: StreamID) -> Bool {
            (a.milliseconds, a.sequence) < (b.milliseconds, b.sequence)
        }
        var description: String { "\(milliseconds)-\(sequence)" }
        init(milliseconds: Int64, sequence: Int64) {
            self.milliseconds = milliseconds
            self.sequence = sequence
        }
        init?(_ text: String) {
            let parts = text.split(separator: "-")
            guard parts.count == 2, let ms = Int64(parts[0]), let seq = Int64(parts[1]) else { return nil }
            self.init(milliseconds: ms, sequence: seq)
        }
    }

    struct Delivery {
        var consumer: String
        var deliveredAt: Int64
    }

    struct Stream {
        var entries: [StreamID: [(String, ByteBuffer)]] = [:]
        var order: [StreamID] = []
        var lastID = StreamID(milliseconds: 0, sequence: 0)
        var lastDelivered = StreamID(milliseconds: 0, sequence: 0)
        var pending: [StreamID: Delivery] = [:]

        mutating func append(_ fields: [(String, ByteBuffer)], nowMilliseconds: Int64) -> StreamID {
            let id =
                nowMilliseconds > lastID.milliseconds
                ? StreamID(milliseconds: nowMilliseconds, sequence: 0)
                : StreamID(milliseconds: lastID.milliseconds, sequence: lastID.sequence + 1)
            lastID = id
            entries[id] = fields
            order.append(id)
            return id
        }

        /// Deletes the entry; returns whether it was pending (as XACK counts it).
        @discardableResult
        mutating func delete(_ id: StreamID) -> Bool {
            let wasPending = pending[id] != nil
            entries[id] = nil
            pending[id] = nil
            if let index = order.firstIndex(of: id) { order.remove(at: index) }
            return wasPending
        }

        func entry(_ id: StreamID, platform: String) -> StreamEntry? {
            guard let fields = entries[id] else { return nil }
            return StreamEntry(
                platform: platform, id: id.description,
                fields: Dictionary(fields, uniquingKeysWith: { _, last in last }))
        }
    }

    struct State {
        var streams: [String: Stream] = [:]
        var deadLetters: [String: Stream] = [:]
        var processed: [String: Int] = [:]
        var attempts: [String: [StreamID: Int]] = [:]
        var retries: [String: [StreamID: Int64]] = [:]
        var interrupted: [String: [StreamID: Int]] = [:]
        /// event key → (stream id, expiry in ms)
        var dedup: [String: (streamID: String, expiresAt: Int64)] = [:]
        var insertsSinceSweep = 0
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Int64

    public var isDurable: Bool { false }
    public var backendName: String { "embedded" }

    /// - Parameter now: wall-clock Unix milliseconds (stream ids, TTLs, idle times); injectable for tests.
    public init(now: @escaping @Sendable () -> Int64 = WallClock.milliseconds) {
        self.now = now
    }

    public func prepare(platforms: [String]) async throws(QueueError) {
        self.state.withLock { state in
            for platform in platforms where state.streams[platform] == nil {
                state.streams[platform] = Stream()
            }
        }
    }

    /// One process: the receiver's own bucket is the global one.
    public var sharesRateLimits: Bool { false }

    public func enqueue(_ event: QueuedEvent, ttlSeconds: Int) async throws(QueueError) -> EnqueueResult {
        self.enqueueNow(event, ttlSeconds: ttlSeconds)
    }

    public func enqueue(_ event: QueuedEvent, ttlSeconds: Int, on eventLoop: any EventLoop) -> EventLoopFuture<EnqueueResult> {
        eventLoop.makeSucceededFuture(self.enqueueNow(event, ttlSeconds: ttlSeconds))
    }

    private func enqueueNow(_ event: QueuedEvent, ttlSeconds: Int) -> EnqueueResult {
        let now = self.now()
        let key = QueueKeys(platform: event.platform).dedup(eventID: event.eventID)
        return self.state.withLock { state in
            if let existing = state.dedup[key], existing.expiresAt > now {
                return .duplicate(streamID: existing.streamID)
            }
            let id = state.streams[event.platform, default: Stream()].append(event.fields, nowMilliseconds: now)
            state.dedup[key] = (id.description, now + Int64(ttlSeconds) * 1000)
            state.insertsSinceSweep += 1
            if state.insertsSinceSweep >= 10_000 {
                state.insertsSinceSweep = 0
                state.dedup = state.dedup.filter { $0.value.expiresAt > now }
            }
            return .accepted(streamID: id.description)
        }
    }

    public func stats(platform: String) async throws(QueueError) -> PlatformQueueStats {
        self.state.withLock { state in
            let stream = state.streams[platform] ?? Stream()
            return PlatformQueueStats(
                pending: stream.order.reversed().prefix { $0 > stream.lastDelivered }.count,
                processing: stream.pending.count,
                deadLetter: state.deadLetters[platform]?.order.count ?? 0,
                processed: state.processed[platform] ?? 0
            )
        }
    }

    public func ping() async throws(QueueError) {}

    public func read(platforms: [String], consumer: String, count: Int, pending: Bool, block: Duration) async throws(QueueError) -> [StreamEntry] {
        let deadline = ContinuousClock.now + block
        while true {
            let now = self.now()
            let entries = self.state.withLock { state -> [StreamEntry] in
                var result: [StreamEntry] = []
                for platform in platforms {
                    guard var stream = state.streams[platform] else { continue }
                    if pending {
                        let own = stream.pending.filter { $0.value.consumer == consumer }.keys.sorted().prefix(count)
                        result += own.compactMap { stream.entry($0, platform: platform) }
                    } else {
                        let fresh = stream.order.filter { $0 > stream.lastDelivered }.prefix(count)
                        for id in fresh {
                            stream.pending[id] = Delivery(consumer: consumer, deliveredAt: now)
                            stream.lastDelivered = id
                            if let entry = stream.entry(id, platform: platform) { result.append(entry) }
                        }
                        state.streams[platform] = stream
                    }
                }
                return result
            }
            if !entries.isEmpty || pending || ContinuousClock.now >= deadline { return entries }
            try? await Task.sleep(for: .milliseconds(10))
            if Task.isCancelled { return [] }
        }
    }

    public func claimIdle(platform: String, consumer: String, minIdle: Duration, count: Int) async throws(QueueError) -> [StreamEntry] {
        let now = self.now()
        let idle = Int64(minIdle.components.seconds * 1000 + minIdle.components.attoseconds / 1_000_000_000_000_000)
        return self.state.withLock { state in
            guard var stream = state.streams[platform] else { return [] }
            let retries = state.retries[platform] ?? [:]
            var result: [StreamEntry] = []
            for (id, delivery) in stream.pending.sorted(by: { $0.key < $1.key }) where now - delivery.deliveredAt >= idle {
                guard result.count < count else { break }
                // Scheduled entries are the schedule's (claimDueRetries), due or not.
                if retries[id] != nil { continue }
                stream.pending[id] = Delivery(consumer: consumer, deliveredAt: now)
                if let entry = stream.entry(id, platform: platform) { result.append(entry) } else { stream.pending[id] = nil }
            }
            state.streams[platform] = stream
            return result
        }
    }

    public func claimDueRetries(platform: String, consumer: String, lease: Duration, count: Int) async throws(QueueError) -> [StreamEntry] {
        let now = self.now()
        return self.state.withLock { state in
            guard var stream = state.streams[platform] else { return [] }
            var result: [StreamEntry] = []
            for (id, due) in (state.retries[platform] ?? [:]).sorted(by: { $0.value < $1.value }) where due <= now {
                guard result.count < count else { break }
                state.retries[platform]?[id] = now + Int64(lease.components.seconds * 1000)
                guard let entry = stream.entry(id, platform: platform) else {
                    state.retries[platform]?[id] = nil
                    continue
                }
                stream.pending[id] = Delivery(consumer: consumer, deliveredAt: now)
                result.append(entry)
            }
            state.streams[platform] = stream
            return result
        }
    }

    public func complete(_ entries: [StreamEntry], fanOut: [FanOut]) async throws(QueueError) {
        let deliveries = Dictionary(grouping: fanOut, by: \.source)
        let now = self.now()
        self.state.withLock { state in
            for entry in entries {
                guard let id = StreamID(entry.id), state.streams[entry.platform]?.delete(id) == true else { continue }
                for delivery in deliveries[FanOut.source(platform: entry.platform, id: entry.id)] ?? [] {
                    let waiting = state.streams[delivery.lane]?.order.count ?? 0
                    if waiting < delivery.maxBacklog {
                        _ = state.streams[delivery.lane, default: Stream()].append(delivery.fields, nowMilliseconds: now)
                    } else {
                        let refused: [(String, ByteBuffer)] = [
                            ("error", ByteBuffer(string: FanOut.backlogFull(waiting))), ("attempts", ByteBuffer(string: "0")),
                            ("original_id", ByteBuffer(string: entry.id)), ("failed_at", ByteBuffer(string: String(now))),
                        ]
                        _ = state.deadLetters[delivery.lane, default: Stream()].append(delivery.fields + refused, nowMilliseconds: now)
                    }
                }
                state.attempts[entry.platform]?[id] = nil
                state.retries[entry.platform]?[id] = nil
                state.interrupted[entry.platform]?[id] = nil
                state.processed[entry.platform, default: 0] += 1
            }
        }
    }

    public func recordFailedAttempt(_ entry: StreamEntry) async throws(QueueError) -> Int {
        guard let id = StreamID(entry.id) else { return 1 }
        return self.state.withLock { state in
            let attempts = (state.attempts[entry.platform]?[id] ?? 0) + 1
            state.attempts[entry.platform, default: [:]][id] = attempts
            return attempts
        }
    }

    public func scheduleRetry(_ entry: StreamEntry, dueAtMilliseconds: Int64) async throws(QueueError) {
        guard let id = StreamID(entry.id) else { return }
        self.state.withLock {
            $0.retries[entry.platform, default: [:]][id] = dueAtMilliseconds
            $0.interrupted[entry.platform]?[id] = nil
        }
    }

    public func interruptions(_ entries: [StreamEntry]) async throws(QueueError) -> [Int] {
        self.state.withLock { state in
            entries.map { entry in StreamID(entry.id).flatMap { state.interrupted[entry.platform]?[$0] } ?? 0 }
        }
    }

    public func beginSuspectDelivery(_ entry: StreamEntry) async throws(QueueError) {
        guard let id = StreamID(entry.id) else { return }
        self.state.withLock { $0.interrupted[entry.platform, default: [:]][id, default: 0] += 1 }
    }

    public func withdrawSuspectDelivery(_ entry: StreamEntry) async throws(QueueError) {
        guard let id = StreamID(entry.id) else { return }
        self.state.withLock { state in
            guard let count = state.interrupted[entry.platform]?[id] else { return }
            state.interrupted[entry.platform]?[id] = count > 1 ? count - 1 : nil
        }
    }

    public func clearInterruptions(_ entry: StreamEntry) async throws(QueueError) {
        guard let id = StreamID(entry.id) else { return }
        self.state.withLock { _ = $0.interrupted[entry.platform]?.removeValue(forKey: id) }
    }

    @discardableResult
    public func deadLetter(_ entry: StreamEntry, error: String, attempts: Int) async throws(QueueError) -> Bool {
        guard let id = StreamID(entry.id) else { return false }
        let now = self.now()
        self.state.withLock { state in
            _ = state.deadLetters[entry.platform, default: Stream()]
                .append(DeadLetter.fields(of: entry, error: error, attempts: attempts), nowMilliseconds: now)
            state.streams[entry.platform]?.delete(id)
            state.attempts[entry.platform]?[id] = nil
            state.retries[entry.platform]?[id] = nil
            state.interrupted[entry.platform]?[id] = nil
        }
        return true
    }

    public func deadLetters(platform: String, after: String?, count: Int, newestFirst: Bool) async throws(QueueError) -> [StreamEntry] {
        let start = after.flatMap(StreamID.init)
        return self.state.withLock { state in
            guard let stream = state.deadLetters[platform] else { return [] }
            let ids =
                newestFirst
                ? Array(stream.order.reversed().lazy.filter { start == nil || $0 < start! }.prefix(count))
                : Array(stream.order.lazy.filter { start == nil || $0 > start! }.prefix(count))
            return ids.compactMap { stream.entry($0, platform: platform) }
        }
    }

    public func replayDeadLetters(platform: String, ids: [String]?) async throws(QueueError) -> (replayed: Int, missing: [String]) {
        let now = self.now()
        return self.state.withLock { state in
            var dead = state.deadLetters[platform] ?? Stream()
            let wanted = ids ?? dead.order.map(\.description)
            var replayed = 0
            var missing: [String] = []
            for text in wanted {
                guard let id = StreamID(text), let entry = dead.entry(id, platform: platform) else {
                    missing.append(text)
                    continue
                }
                _ = state.streams[platform, default: Stream()].append(DeadLetter.originalFields(of: entry), nowMilliseconds: now)
                dead.delete(id)
                replayed += 1
            }
            state.deadLetters[platform] = dead
            return (replayed, missing)
        }
    }

    public func purgeDeadLetters(platform: String, ids: [String]) async throws(QueueError) -> Int {
        self.state.withLock { state in
            var purged = 0
            for id in ids.compactMap(StreamID.init) where state.deadLetters[platform]?.entries[id] != nil {
                state.deadLetters[platform]?.delete(id)
                purged += 1
            }
            return purged
        }
    }

    /// The entries of a platform's stream, oldest first (for tests).
    public func entries(platform: String) -> [(id: String, fields: [(String, ByteBuffer)])] {
        self.state.withLock { state in
            guard let stream = state.streams[platform] else { return [] }
            return stream.order.map { ($0.description, stream.entries[$0] ?? []) }
        }
    }

}
