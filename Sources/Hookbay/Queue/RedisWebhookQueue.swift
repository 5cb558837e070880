import HookbayRedis
import Logging
import NIOCore

/// The queue on Redis Streams.
///
/// Deduplication and enqueueing are one Lua script, run with `EVALSHA` in one round trip: each stream entry is added
/// *before* its dedup key is set, and both or neither happen, so a failed attempt is never remembered as a duplicate.
/// On the event-loop receive path, the deliveries an event loop admits in one turn share one call per platform
/// (``EnqueueBatcher``).
public struct RedisWebhookQueue: WebhookQueue {
    /// KEYS: the platform's stream, its rate-limit bucket, then each event's dedup key and body key. ARGV: ttl seconds,
    /// the bucket's size and refill, then each event's values of ``QueuedEvent/fields`` in their order (the body, or
    /// its ref when it is kept apart) and the body's field, `envelope` or `envelope_ref` (the other field names are the
    /// script's own constants: Redis then reads and Lua interns nine arguments per event, not sixteen). Returns a flag
    /// and a value per event: `1, <new entry id>`, `0, <the first copy's id>` for a duplicate (an event repeated within
    /// one call is a duplicate of its first copy), `2, <ms>` when the shared rate limit refused it, `3, 0` when its body
    /// was not found.
    ///
    /// **A body of ``inlineBodyLimit`` bytes or more is written apart from the entry**, by a `SET` with a short TTL
    /// (``bodyStagingSeconds``) just before the script on the same connection (``RedisScriptCall/preceding``), at
    /// `webhooks:body:{platform}:<ref>`. Lua copies and hashes every byte of every argument a script gets: a 7 KB body
    /// passed through the script cost Redis more than the rest of the enqueue. A smaller one goes inline, in the
    /// entry's `envelope`: there the second command would cost more than the hashing. The script keeps the body of an
    /// accepted event (`PERSIST`) and deletes any other's; one it cannot find (its `SET` refused, or the key evicted)
    /// fails that event alone. A `SET` whose script never ran (the connection dropped after it) leaves a body that
    /// expires on its own. The body then lives exactly
    /// as long as its entry: a dead-letter entry and a replayed one carry the same `envelope_ref`; completion and a
    /// purge delete it.
    ///
    /// Each event's entry is added first, then its dedup key set only if it does not exist (`SET NX GET`, which
    /// answers the first copy's id when it does): a new event costs Redis two commands instead of a `GET` before
    /// them. A duplicate's entry is deleted again in the same script, so no reader ever sees
    /// it. A script runs whole or not at all between other clients' commands, so the dedup key is never set
    /// without its entry.
    ///
    /// With replicated acknowledgements, a duplicate is confirmed by the `WAIT` after the script because the script
    /// writes for it too (its entry is added, then deleted): that moves the connection's replication offset past the
    /// first copy's write. A script that answered duplicates without writing would let a retry be confirmed before the
    /// first copy reached any replica.
    ///
    /// The consumer group is not the script's business: ``prepare(platforms:)`` creates it at start-up, and a worker
    /// whose read finds it missing (Redis restarted without persistence) creates it from id `0`, which hands it every
    /// entry added meanwhile.
    static let enqueueScript = RedisScript(resource: PackageResources.enqueue_lua)

    /// How long a body written for the enqueue script lives unless the script keeps it: the script follows its `SET`
    /// on the same connection at once, so this bounds only what a connection lost in between leaves behind.
    static let bodyStagingSeconds = 300

    /// Bodies of at least this many bytes are kept apart from their entry (see ``enqueueScript``). Measured on Redis
    /// 7.0: Lua hashes ~1.5 ns per byte, and a `SET` costs ~1–2 µs more per event.
    static let inlineBodyLimit = 1024

    /// When a delivery counts as accepted: once its enqueue reached this many replicas (`WAIT`), or at once.
    public struct Replication: Sendable, Equatable {
        /// Replicas that must acknowledge the enqueue; 0 answers as soon as the primary has it.
        public var replicas: Int
        /// How long to wait for them before the delivery is answered `503 queue_unavailable`.
        public var timeout: Duration

        public init(replicas: Int, timeout: Duration) {
            self.replicas = replicas
            self.timeout = timeout
        }
    }

    public let client: RedisClient
    /// The acknowledgement deliveries wait for.
    public let replication: Replication
    /// Clients pinned to one event loop each, for the receive path served on the event loop: a delivery's command
    /// goes out on, and its reply comes back to, the thread that read the request.
    public let eventLoopClients: [RedisClient]
    private let batchers: [EnqueueBatcher]
    /// How long the next empty look across a cluster's slots waits (see ``clusterPollInterval``).
    let idlePolls = PollBackoff(first: Self.clusterPollInterval, limit: Self.clusterPollIntervalLimit)
    public var isDurable: Bool { true }
    public var backendName: String { "redis" }

    public init(client: RedisClient, eventLoopClients: [RedisClient] = [], replication: Replication = .init(replicas: 0, timeout: .seconds(1))) {
        self.client = client
        self.eventLoopClients = eventLoopClients
        self.replication = replication
        var batchers = eventLoopClients.compactMap { client in
            client.eventLoop.map { EnqueueBatcher(client: client, eventLoop: $0, replication: replication) }
        }
        if batchers.isEmpty, replication.replicas > 0 {
            // Replicated enqueues always go through a batcher: it keeps one WAIT outstanding per connection.
            batchers = [EnqueueBatcher(client: client, eventLoop: client.eventLoopGroup.any(), replication: replication)]
        }
        self.batchers = batchers
    }

    /// Creates each platform's consumer group. On a cluster a platform whose node is down (a failover in progress)
    /// does not hold up the others: this fails only when every platform's did (a worker's read recreates a group it
    /// finds missing).
    public func prepare(platforms: [String]) async throws(QueueError) {
        var failure: QueueError?
        var prepared = false
        for platform in platforms {
            let keys = QueueKeys(platform: platform)
            do {
                _ = try await Self.mapping { () async throws in
                    try await self.client.xgroupCreate(stream: keys.incoming, group: QueueKeys.consumerGroup)
                }
                prepared = true
            } catch {
                guard self.client.configuration.isCluster else { throw error }
                failure = error
            }
        }
        if !prepared, let failure { throw failure }
    }

    /// Shared rate-limit buckets live in Redis, taken by the enqueue script.
    public var sharesRateLimits: Bool { true }

    public func enqueue(_ event: QueuedEvent, ttlSeconds: Int) async throws(QueueError) -> EnqueueResult {
        try await Self.mapping { () async throws in
            if self.replication.replicas > 0 {
                return try await self.batchers[Int.random(in: 0..<self.batchers.count)].enqueue(event, ttlSeconds: ttlSeconds).get()
            }
            return try await Self.enqueue([event], ttlSeconds: ttlSeconds, client: self.client, on: self.client.eventLoopGroup.any())
                .get()[0].get()
        }
    }

    public func enqueue(_ event: QueuedEvent, ttlSeconds: Int, on eventLoop: any EventLoop) -> EventLoopFuture<EnqueueResult> {
        if let batcher = self.batchers.first(where: { $0.eventLoop === eventLoop }) {
            return batcher.enqueue(event, ttlSeconds: ttlSeconds)
        }
        if self.replication.replicas > 0 {
            return self.batchers[Int.random(in: 0..<self.batchers.count)].enqueue(event, ttlSeconds: ttlSeconds).hop(to: eventLoop)
        }
        return Self.enqueue([event], ttlSeconds: ttlSeconds, client: self.client, on: eventLoop).flatMapResult { $0[0] }.hop(to: eventLoop)
    }

    /// One script call for `events`, all of one platform: each one's result in order, or a ``QueueError`` for them all.
    static func enqueue(_ events: [QueuedEvent], ttlSeconds: Int, client: RedisClient, on eventLoop: any EventLoop) -> EventLoopFuture<
        [Result<EnqueueResult, QueueError>]
    > {
        let call = Self.enqueueCall(events, ttlSeconds: ttlSeconds)
        let reply = client.submitScript(call, on: eventLoop)
        let promise = reply.eventLoop.makePromise(of: [Result<EnqueueResult, QueueError>].self)
        reply.whenComplete { result in
            switch result {
            case .failure(let error):
                promise.fail(QueueError("\(error)"))
            case .success(let reply):
                do {
                    let results = try Self.enqueueResults(reply, count: events.count)
                    if let explained = Self.explainingLostBodies(results, of: call, client: client, on: promise.futureResult.eventLoop) {
                        promise.completeWith(explained)
                    } else {
                        promise.succeed(results)
                    }
                } catch {
                    promise.fail(error)
                }
            }
        }
        return promise.futureResult
    }

    /// The enqueue script's call for `events`, all of one platform: each body's `SET` goes before it.
    static func enqueueCall(_ events: [QueuedEvent], ttlSeconds: Int) -> RedisScriptCall {
        let keys = QueueKeys(platform: events[0].platform)
        let limit = events[0].sharedRateLimit
        var keyArgs: [RedisArgument] = [.string(keys.incoming), .string(keys.rateLimit)]
        var args: [RedisArgument] = [.integer(ttlSeconds), .integer(limit?.burst ?? 0), .integer(limit?.perMinute ?? 0)]
        var bodies: [[RedisArgument]] = []
        keyArgs.reserveCapacity(2 + 2 * events.count)
        args.reserveCapacity(3 + 9 * events.count)
        bodies.reserveCapacity(events.count)
        for event in events {
            precondition(
                event.platform == keys.platform && event.sharedRateLimit == limit, "one enqueue call holds one platform's events, under one limit")
            let apart = event.envelope.readableBytes >= Self.inlineBodyLimit
            let ref = apart ? Self.newBodyRef() : "inline"
            let body = keys.body(ref: ref)
            keyArgs.append(.string(keys.dedup(eventID: event.eventID)))
            keyArgs.append(.string(body))
            if apart { bodies.append(["SET", .string(body), .bytes(event.envelope), "EX", .integer(Self.bodyStagingSeconds)]) }
            // The values of `QueuedEvent.fields`, in its order, as the script names them, then the body's field.
            args.append(.string(event.eventID))
            args.append(.string(event.platform))
            args.append(.string(event.eventType.rawValue))
            args.append(.string(event.sourceEventType))
            args.append(.integer(Int(event.receivedAtMilliseconds)))
            args.append(.string(event.payloadPointer))
            args.append(.string(event.timestamp))
            if apart {
                args.append(.string(ref))
                args.append(.string(StreamEntry.bodyRefField))
            } else {
                args.append(.bytes(event.envelope))
                args.append("envelope")
            }
        }
        return RedisScriptCall(Self.enqueueScript, keys: keyArgs, args: args, preceding: bodies)
    }

    /// A new body's ref: 128 random bits in hex, so that no two bodies ever share a key.
    static func newBodyRef() -> String {
        Hex.encode((0..<16).map { _ in UInt8.random(in: .min ... .max) })
    }

    /// The script's reply as one result per event: an event whose body was not found fails alone.
    static func enqueueResults(_ reply: RESPValue, count: Int) throws(QueueError) -> [Result<EnqueueResult, QueueError>] {
        guard let flat = reply.array, flat.count == 2 * count else { throw QueueError("the enqueue script answered \(reply)") }
        var results: [Result<EnqueueResult, QueueError>] = []
        results.reserveCapacity(count)
        for i in 0..<count {
            let value = flat[2 * i + 1]
            switch (flat[2 * i].int, value.string, value.int) {
            case (1, let id?, _): results.append(.success(.accepted(streamID: id)))
            case (0, let id?, _): results.append(.success(.duplicate(streamID: id)))
            case (2, _, let wait?): results.append(.success(.rateLimited(retryAfterMilliseconds: max(0, wait))))
            case (3, _, _):
                // Its SET was refused (out of memory, a read-only replica, a failing disk) or its key evicted: nothing was
                // written for it. ``explainingLostBodies(_:of:client:on:)`` asks Redis which.
                results.append(.failure(QueueError(Self.lostBody)))
            default: throw QueueError("the enqueue script answered \(reply)")
            }
        }
        return results
    }

    /// The error of an event whose body the enqueue script did not find, until Redis says why.
    static let lostBody = "Redis did not keep the event's body: its SET was refused (out of memory? read-only?) or the key evicted"

    /// `results` with each lost body (``lostBody``) explained by Redis itself, or `nil` when none was lost (the common
    /// case, answered at once). The `SET`'s own reply was dropped with the sequence's (only the script's is read), so it
    /// is tried once more, empty and gone in a second: Redis answers why it refuses writes (out of memory, read-only),
    /// or takes it, and then the body had been evicted. Only on this failure path; one command per call.
    static func explainingLostBodies(
        _ results: [Result<EnqueueResult, QueueError>], of call: RedisScriptCall, client: RedisClient, on eventLoop: any EventLoop
    ) -> EventLoopFuture<[Result<EnqueueResult, QueueError>]>? {
        let lost = results.indices.filter { index in
            if case .failure(let error) = results[index] { return error.description == Self.lostBody }
            return false
        }
        // KEYS: the stream, the bucket, then each event's dedup key and body key.
        guard let first = lost.first, 3 + 2 * first < call.keys.count else { return nil }
        let probe: [RedisArgument] = ["SET", call.keys[3 + 2 * first], "", "EX", .integer(1), "NX"]
        return client.submit(probe, on: eventLoop).hop(to: eventLoop).map { _ in
            "Redis did not keep the event's body: its key was gone when the enqueue script ran (evicted, or refused while Redis "
                + "was out of memory and has freed some since; an evicting maxmemory-policy drops queued data: use noeviction)"
        }.recover { error in
            if case .server(let message) = RedisError(error) { return "Redis refused the event's body: \(message)" }
            return Self.lostBody
        }.map { why in
            var explained = results
            for index in lost { explained[index] = .failure(QueueError(why)) }
            return explained
        }
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
            // The stream holds only live work (processed entries are deleted), so the undelivered entries are the rest
            // of the stream. Redis's lag counts the entries added after the last delivered one, including those the
            // enqueue script deleted again at once (a duplicate's), so it is only an upper bound.
            let undelivered = max(0, streamLength - processing)
            let pending = min(group.flatMap(\.lag) ?? undelivered, undelivered)
            return PlatformQueueStats(
                pending: pending, processing: processing, deadLetter: try await deadLetter, processed: try await processed
            )
        }
    }

    /// Pings the connections deliveries go through (each event loop's), or the shared one when there are none.
    public func ping() async throws(QueueError) {
        try await Self.mapping { () async throws in
            // At once: with replicated acknowledgements a connection's PING waits behind its outstanding WAIT.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in self.eventLoopClients.isEmpty ? [self.client] : self.eventLoopClients {
                    group.addTask { try await client.ping() }
                }
                try await group.waitForAll()
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

extension RedisScript {
    /// A script from `Queue/Scripts/*.lua`, embedded in the binary at build time (no resource bundle to ship).
    init(resource: [UInt8]) {
        self.init(String(decoding: resource, as: UTF8.self))
    }
}
