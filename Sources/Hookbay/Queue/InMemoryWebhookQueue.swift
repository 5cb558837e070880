import NIOCore
import Synchronization

/// The embedded queue: the same semantics as the Redis one (streams, a consumer group, dedup with TTL, atomic
/// dedup+enqueue) in this process's memory. Nothing survives a restart: for trying Hookbay out and for tests.
public final class InMemoryWebhookQueue: WebhookQueue {
    struct Entry {
        var id: StreamID
        var fields: [(String, ByteBuffer)]
    }

    /// A stream entry id `ms-seq`, ordered as Redis orders them.
    struct StreamID: Comparable, CustomStringConvertible {
        var milliseconds: Int64
        var sequence: Int64
        static func < (a: StreamID, b: StreamID) -> Bool {
            (a.milliseconds, a.sequence) < (b.milliseconds, b.sequence)
        }
        var description: String { "\(milliseconds)-\(sequence)" }
    }

    struct Stream {
        var entries: [Entry] = []
        var lastID = StreamID(milliseconds: 0, sequence: 0)
        /// The consumer group's last delivered id and its pending entries.
        var lastDelivered = StreamID(milliseconds: 0, sequence: 0)
        var pendingIDs: Set<String> = []

        mutating func append(_ fields: [(String, ByteBuffer)], nowMilliseconds: Int64) -> StreamID {
            let id = nowMilliseconds > lastID.milliseconds
                ? StreamID(milliseconds: nowMilliseconds, sequence: 0)
                : StreamID(milliseconds: lastID.milliseconds, sequence: lastID.sequence + 1)
            lastID = id
            entries.append(Entry(id: id, fields: fields))
            return id
        }
    }

    struct State {
        var streams: [String: Stream] = [:]
        var deadLetters: [String: Stream] = [:]
        var processed: [String: Int] = [:]
        /// event key → (stream id, expiry in ms)
        var dedup: [String: (streamID: String, expiresAt: Int64)] = [:]
        var insertsSinceSweep = 0
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Int64

    public var isDurable: Bool { false }
    public var backendName: String { "embedded" }

    /// - Parameter now: wall-clock Unix milliseconds (stream ids and TTLs); injectable for tests.
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

    public func enqueue(_ event: QueuedEvent, ttlSeconds: Int) async throws(QueueError) -> EnqueueResult {
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
            let undelivered = stream.entries.reversed().prefix { $0.id > stream.lastDelivered }.count
            return PlatformQueueStats(
                pending: undelivered,
                processing: stream.pendingIDs.count,
                deadLetter: state.deadLetters[platform]?.entries.count ?? 0,
                processed: state.processed[platform] ?? 0
            )
        }
    }

    public func ping() async throws(QueueError) {}

    /// The entries of a platform's stream, oldest first (for tests and the embedded worker).
    public func entries(platform: String) -> [(id: String, fields: [(String, ByteBuffer)])] {
        self.state.withLock { state in
            (state.streams[platform]?.entries ?? []).map { ($0.id.description, $0.fields) }
        }
    }
}
