import HookbayRedis
import Logging
import NIOCore

/// The queue on Redis Streams.
///
/// Deduplication and enqueueing are one Lua script, run with `EVALSHA` in one round trip: the stream entry is added
/// *before* the dedup key is set, and both or neither happen, so a failed attempt is never remembered as a duplicate.
public struct RedisWebhookQueue: WebhookQueue {
    /// KEYS: dedup key, stream. ARGV: ttl seconds, group, then the values of ``QueuedEvent/fields`` in their order
    /// (the field names are the script's own constants: Redis then reads and Lua interns eight arguments, not sixteen).
    /// Returns `{1, id}` for a new entry and `{0, id}` for a duplicate.
    static let enqueueScript = RedisScript("""
        local existing = redis.call('GET', KEYS[1])
        if existing then return {0, existing} end
        if redis.call('EXISTS', KEYS[2]) == 0 then
          redis.call('XGROUP', 'CREATE', KEYS[2], ARGV[2], '0', 'MKSTREAM')
        end
        local id = redis.call('XADD', KEYS[2], '*', 'event_id', ARGV[3], 'platform', ARGV[4], 'event_type', ARGV[5],
          'source_event_type', ARGV[6], 'received_at', ARGV[7], 'payload_pointer', ARGV[8], 'timestamp', ARGV[9], 'envelope', ARGV[10])
        redis.call('SET', KEYS[1], id, 'EX', ARGV[1])
        return {1, id}
        """)

    public let client: RedisClient
    /// Clients pinned to one event loop each, for the receive path served on the event loop: a delivery's command
    /// goes out on, and its reply comes back to, the thread that read the request.
    public let eventLoopClients: [RedisClient]
    public var isDurable: Bool { true }
    public var backendName: String { "redis" }

    public init(client: RedisClient, eventLoopClients: [RedisClient] = []) {
        self.client = client
        self.eventLoopClients = eventLoopClients
    }

    public func prepare(platforms: [String]) async throws(QueueError) {
        for platform in platforms {
            let keys = QueueKeys(platform: platform)
            _ = try await Self.mapping { () async throws in
                try await self.client.xgroupCreate(stream: keys.incoming, group: QueueKeys.consumerGroup)
            }
        }
    }

    public func enqueue(_ event: QueuedEvent, ttlSeconds: Int) async throws(QueueError) -> EnqueueResult {
        try await Self.mapping { () async throws in
            try await self.enqueue(event, ttlSeconds: ttlSeconds, client: self.client, on: self.client.eventLoopGroup.any()).get()
        }
    }

    public func enqueue(_ event: QueuedEvent, ttlSeconds: Int, on eventLoop: any EventLoop) -> EventLoopFuture<EnqueueResult> {
        let client = self.eventLoopClients.first { $0.eventLoop === eventLoop } ?? self.client
        return self.enqueue(event, ttlSeconds: ttlSeconds, client: client, on: eventLoop).hop(to: eventLoop)
    }

    private func enqueue(_ event: QueuedEvent, ttlSeconds: Int, client: RedisClient, on eventLoop: any EventLoop) -> EventLoopFuture<EnqueueResult> {
        let keys = QueueKeys(platform: event.platform)
        // The values of `QueuedEvent.fields`, in its order, as the script names them.
        let args: [RedisArgument] = [
            .integer(ttlSeconds), .string(QueueKeys.consumerGroup),
            .string(event.eventID), .string(event.platform), .string(event.eventType.rawValue), .string(event.sourceEventType),
            .integer(Int(event.receivedAtMilliseconds)), .string(event.payloadPointer), .string(event.timestamp), .bytes(event.envelope),
        ]
        let reply = client.submitScript(
            Self.enqueueScript, keys: [.string(keys.dedup(eventID: event.eventID)), .string(keys.incoming)], args: args, on: eventLoop
        )
        let promise = reply.eventLoop.makePromise(of: EnqueueResult.self)
        reply.whenComplete { result in
            switch result {
            case .failure(let error):
                promise.fail(QueueError("\(error)"))
            case .success(let reply):
                guard let pair = reply.array, pair.count == 2, let flag = pair[0].int, let id = pair[1].string else {
                    promise.fail(QueueError("the enqueue script answered \(reply)"))
                    return
                }
                promise.succeed(flag == 1 ? .accepted(streamID: id) : .duplicate(streamID: id))
            }
        }
        return promise.futureResult
    }

    public func stats(platform: String) async throws(QueueError) -> PlatformQueueStats {
        let keys = QueueKeys(platform: platform)
        return try await Self.mapping { () async throws in
            async let groups = self.client.xinfoGroups(keys.incoming)
            async let length = self.client.xlen(keys.incoming)
            async let deadLetter = self.client.xlen(keys.deadLetter)
            async let processed = self.client.getInt(keys.processedCounter)
            let group = try await groups.first { $0.name == QueueKeys.consumerGroup }
            let streamLength = try await length
            let processing = group?.pending ?? 0
            // The stream holds only live work (processed entries are deleted), so when Redis cannot give the lag
            // (deleted entries inside the range) the undelivered ones are the rest of the stream.
            let pending = group.flatMap(\.lag) ?? max(0, streamLength - processing)
            return PlatformQueueStats(
                pending: pending, processing: processing, deadLetter: try await deadLetter, processed: try await processed
            )
        }
    }

    /// Pings the connections deliveries go through (each event loop's), or the shared one when there are none.
    public func ping() async throws(QueueError) {
        try await Self.mapping { () async throws in
            for client in self.eventLoopClients.isEmpty ? [self.client] : self.eventLoopClients {
                try await client.ping()
            }
        }
    }

    static func mapping<T>(_ body: () async throws -> T) async throws(QueueError) -> T {
        do {
            return try await body()
        } catch {
            throw QueueError("\(error)")
        }
    }
}
