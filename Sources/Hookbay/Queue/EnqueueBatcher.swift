import HookbayRedis
import NIOCore

/// Gathers the deliveries one event loop admits in one turn and enqueues each platform's with one script call.
///
/// Under load an event loop finishes reading many requests per turn; each used to cost Redis one `EVALSHA`, much of
/// which is the call itself (setting up the script's `KEYS` and `ARGV`, the reply) rather than the dedup and `XADD` it
/// runs (docs/performance.md has the measurements). Sharing the call shares that half, and the gateway encodes one
/// command and completes one reply for the lot. A delivery alone still goes out in the turn that admitted it: batching
/// adds no wait.
///
/// Lives on its event loop: its futures complete there, and a call from another thread is moved there first.
final class EnqueueBatcher: Sendable {
    /// Events per script call at most, so that one call never holds Redis (single-threaded) for long.
    static let maxBatch = 64
    /// Envelope bytes per script call at most (an event larger than this goes alone), so that a turn of large bodies
    /// is not copied into one command of tens of megabytes.
    static let maxBatchBytes = 1 << 20

    private struct Pending {
        var event: QueuedEvent
        var promise: EventLoopPromise<EnqueueResult>
        var ttlSeconds: Int
        /// The Redis Cluster primary its platform's keys are on, as last known (`nil`: one server, or not known yet).
        var lane: RedisNodeAddress?
    }

    let client: RedisClient
    let eventLoop: any EventLoop
    let replication: RedisWebhookQueue.Replication
    /// This turn's events in arrival order, whether the call that sends them is scheduled, and the primaries with a
    /// `WAIT` outstanding (with replicated acknowledgements: their events then gather until it returns, and go out
    /// together; on a cluster, a primary slow to confirm holds up only its own platforms).
    private struct State {
        var pending: [Pending] = []
        /// Envelope bytes of `pending`.
        var pendingBytes = 0
        var scheduled = false
        var waiting: Set<RedisNodeAddress?> = []
    }

    /// Events gathered behind an outstanding `WAIT` at most, and their bytes: past either, a delivery is answered 503 at
    /// once rather than held (a sender that gives up and retries would otherwise add a copy per retry).
    static let maxWaitingEvents = 10_000
    static let maxWaitingBytes = 64 << 20
    /// Events, and their bytes, sent in one round of scripts and `WAIT` at most; the rest follow in the next round.
    static let maxRoundEvents = 1024
    static let maxRoundBytes = 16 << 20

    private let state: NIOLoopBoundBox<State>

    init(client: RedisClient, eventLoop: any EventLoop, replication: RedisWebhookQueue.Replication) {
        self.client = client
        self.eventLoop = eventLoop
        self.replication = replication
        self.state = .makeBoxSendingValue(State(), eventLoop: eventLoop)
    }

    /// Adds `event` to this turn's batch (the next turn's, when called from another thread); the future completes on
    /// this event loop with the event's own result.
    func enqueue(_ event: QueuedEvent, ttlSeconds: Int) -> EventLoopFuture<EnqueueResult> {
        guard self.eventLoop.inEventLoop else {
            return self.eventLoop.flatSubmit { self.enqueue(event, ttlSeconds: ttlSeconds) }
        }
        let size = event.envelope.readableBytes
        if !self.state.value.waiting.isEmpty,
            self.state.value.pending.count >= Self.maxWaitingEvents || self.state.value.pendingBytes + size > Self.maxWaitingBytes
        {
            return self.eventLoop.makeFailedFuture(QueueError("too many deliveries are waiting for Redis replicas to acknowledge"))
        }
        let promise = self.eventLoop.makePromise(of: EnqueueResult.self)
        let lane = self.lane(of: event.platform)
        self.state.value.pending.append(Pending(event: event, promise: promise, ttlSeconds: ttlSeconds, lane: lane))
        self.state.value.pendingBytes += size
        if !self.state.value.scheduled, !self.state.value.waiting.contains(lane) {
            self.state.value.scheduled = true
            self.eventLoop.execute { self.flush() }
        }
        return promise.futureResult
    }

    /// Sends the turn's events: one call per platform and TTL (a script call touches one platform's keys), in order.
    private func flush() {
        let rest = self.state.value.pending
        self.state.value.pending = []
        self.state.value.pendingBytes = 0
        self.state.value.scheduled = false
        if self.replication.replicas > 0 {
            // One round at most per primary whose WAIT is not outstanding; the rest waits, still in arrival order.
            var rounds: [RedisNodeAddress?: [Pending]] = [:]
            var roundBytes: [RedisNodeAddress?: Int] = [:]
            // Lanes whose round is full: their later events wait too, so that each lane keeps its order.
            var closed = self.state.value.waiting
            var later: [Pending] = []
            for pending in rest {
                let size = pending.event.envelope.readableBytes
                let count = rounds[pending.lane]?.count ?? 0
                let bytes = roundBytes[pending.lane] ?? 0
                if closed.contains(pending.lane) || count >= Self.maxRoundEvents || (count > 0 && bytes + size > Self.maxRoundBytes) {
                    closed.insert(pending.lane)
                    later.append(pending)
                } else {
                    rounds[pending.lane, default: []].append(pending)
                    roundBytes[pending.lane] = bytes + size
                }
            }
            self.state.value.pending = later
            self.state.value.pendingBytes = later.reduce(0) { $0 + $1.event.envelope.readableBytes }
            for (lane, events) in rounds { self.sendReplicated(Self.batches(events), lane: lane) }
            return
        }
        for batch in Self.batches(rest) { self.send(batch) }
    }

    /// `events` as script calls: one per platform and TTL (a script call touches one platform's keys), in order.
    private static func batches(_ events: [Pending]) -> [[Pending]] {
        var rest = events
        var batches: [[Pending]] = []
        while !rest.isEmpty {
            let first = rest[0]
            var batch: [Pending] = []
            var bytes = 0
            var others: [Pending] = []
            batch.reserveCapacity(rest.count)
            for pending in rest {
                let size = pending.event.envelope.readableBytes
                if batch.isEmpty
                    || (batch.count < Self.maxBatch && bytes + size <= Self.maxBatchBytes
                        && pending.event.platform == first.event.platform && pending.ttlSeconds == first.ttlSeconds
                        && pending.event.sharedRateLimit == first.event.sharedRateLimit)
                {
                    batch.append(pending)
                    bytes += size
                } else {
                    others.append(pending)
                }
            }
            batches.append(batch)
            rest = others
        }
        return batches
    }

    /// The primary `platform`'s keys are on, as the client last knew it; `nil` for one server.
    private func lane(of platform: String) -> RedisNodeAddress? {
        guard let map = self.client.clusterMap else { return nil }
        return map.primary(for: RedisClusterSlot.of(key: QueueKeys(platform: platform).incoming))
    }

    /// Sends every batch, then one `WAIT`, on one connection (to `lane`'s primary); what arrives for it meanwhile
    /// gathers for the next round (Redis runs nothing else from a connection blocked in `WAIT`, so a second one would
    /// only queue behind the first).
    private func sendReplicated(_ batches: [[Pending]], lane: RedisNodeAddress?) {
        self.state.value.waiting.insert(lane)
        let calls = batches.map { batch in RedisWebhookQueue.enqueueCall(batch.map(\.event), ttlSeconds: batch[0].ttlSeconds) }
        self.client.submitScripts(calls, on: self.eventLoop, replicas: self.replication.replicas, timeout: self.replication.timeout)
            .hop(to: self.eventLoop)
            .whenComplete { outcome in
                let results: [Result<RESPValue, RedisError>]
                switch outcome {
                case .success(let each): results = each
                case .failure(let error): results = batches.map { _ in .failure(RedisError(error)) }
                }
                for ((batch, call), result) in zip(zip(batches, calls), results) {
                    let parsed = result.mapError { $0 as any Error }.flatMap { reply in
                        Result { try RedisWebhookQueue.enqueueResults(reply, count: batch.count) }
                    }
                    if case .success(let each) = parsed,
                        let explained = RedisWebhookQueue.explainingLostBodies(each, of: call, client: self.client, on: self.eventLoop)
                    {
                        explained.whenComplete { Self.complete(batch, with: $0.mapError { $0 as any Error }) }
                    } else {
                        Self.complete(batch, with: parsed)
                    }
                }
                self.state.value.waiting.remove(lane)
                if !self.state.value.scheduled, self.state.value.pending.contains(where: { !self.state.value.waiting.contains($0.lane) }) {
                    self.flush()
                }
            }
    }

    private static func complete(_ batch: [Pending], with result: Result<[Result<EnqueueResult, QueueError>], any Error>) {
        switch result {
        case .success(let results):
            for (pending, result) in zip(batch, results) { pending.promise.completeWith(result.mapError { $0 as any Error }) }
        case .failure(let error):
            let queueError = error as? QueueError ?? QueueError("\(error)")
            for pending in batch { pending.promise.fail(queueError) }
        }
    }

    private func send(_ batch: [Pending]) {
        RedisWebhookQueue.enqueue(batch.map(\.event), ttlSeconds: batch[0].ttlSeconds, client: self.client, on: self.eventLoop)
            .hop(to: self.eventLoop)
            .whenComplete { result in Self.complete(batch, with: result.mapError { $0 as any Error }) }
    }
}
