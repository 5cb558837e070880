import HookbayRedis
import NIOCore

/// The consumer side of the Redis queue: reads, claims, retries, completion and dead-lettering.
extension RedisWebhookQueue {
    /// KEYS: stream, processed counter, attempts, retry schedule, interrupted, the entries' body keys, then the lanes'
    /// keys and the deliveries' body keys. ARGV: group, n, the n ids, each id's body key index (0: none), then the
    /// fan-out. Counts only what it acknowledged. See `Queue/Scripts/complete.lua`.
    static let completeScript = RedisScript(resource: PackageResources.complete_lua)

    /// KEYS: stream, dead-letter stream, attempts, retry schedule, interrupted. ARGV: group, id, then field/value pairs.
    /// An entry whose body is kept apart is dead-lettered only while it is still in the stream (one settled elsewhere
    /// has no body of its own any more).
    static let deadLetterScript = RedisScript(resource: PackageResources.dead_letter_lua)

    /// KEYS: retry schedule. ARGV: now ms, lease-until ms, count. Leases the due ids and returns them.
    static let leaseDueScript = RedisScript(resource: PackageResources.lease_due_lua)

    /// How long a worker on a cluster first waits before it looks again, when its platforms' streams span several hash
    /// slots and none had anything (one blocking read cannot wait on streams in different slots); each empty look
    /// doubles it, up to ``clusterPollIntervalLimit``, and entries found start it over.
    static let clusterPollInterval = Duration.milliseconds(20)
    static let clusterPollIntervalLimit = Duration.milliseconds(200)

    public func read(platforms: [String], consumer: String, count: Int, pending: Bool, block: Duration) async throws(QueueError) -> [StreamEntry] {
        guard !platforms.isEmpty else { return [] }
        guard self.client.configuration.isCluster else {
            return try await self.read(slot: platforms, consumer: consumer, count: count, pending: pending, block: block, blocking: block > .zero)
        }
        // A cluster refuses one XREADGROUP across slots (CROSSSLOT): one per slot, each on its node, at once. Blocking
        // is left to a read that covers every platform; otherwise the worker looks again after a pause.
        let slots = Array(Dictionary(grouping: platforms) { RedisClusterSlot.of(key: QueueKeys(platform: $0).incoming) }.values)
        if slots.count == 1 {
            return try await self.read(slot: slots[0], consumer: consumer, count: count, pending: pending, block: block, blocking: block > .zero)
        }
        // A slot whose node is down (a failover in progress) does not hold up the others: what they had is returned,
        // and the read fails only when every slot's did.
        let outcomes = await withTaskGroup(of: Result<[StreamEntry], QueueError>.self) { group in
            for slot in slots {
                group.addTask {
                    do throws(QueueError) {
                        return .success(
                            try await self.read(slot: slot, consumer: consumer, count: count, pending: pending, block: .zero, blocking: false))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        var entries: [StreamEntry] = []
        var failure: QueueError?
        var answered = false
        for outcome in outcomes {
            switch outcome {
            case .success(let some):
                entries += some
                answered = true
            case .failure(let error):
                failure = error
            }
        }
        if !answered, let failure { throw failure }
        if entries.isEmpty, !pending, block > .zero {
            try? await Task.sleep(for: min(block, self.idlePolls.next()))
        } else if !entries.isEmpty {
            self.idlePolls.reset()
        }
        return entries
    }

    /// One `XREADGROUP` for `platforms`, whose streams share a hash slot (on one server: any platforms); `blocking`
    /// false reads new entries without waiting for them.
    private func read(
        slot platforms: [String], consumer: String, count: Int, pending: Bool, block: Duration, blocking: Bool = true
    ) async throws(QueueError) -> [StreamEntry] {
        var command: [RedisArgument] = ["XREADGROUP", "GROUP", .string(QueueKeys.consumerGroup), .string(consumer), "COUNT", .integer(count)]
        let blockMilliseconds = Int(block.components.seconds * 1000 + block.components.attoseconds / 1_000_000_000_000_000)
        let blocks = !pending && blocking
        if blocks { command += ["BLOCK", .integer(max(1, blockMilliseconds))] }
        command.append("STREAMS")
        command += platforms.map { .string(QueueKeys(platform: $0).incoming) }
        command += platforms.map { _ in .string(pending ? "0" : ">") }
        let reply = try await Self.mapping { () async throws in
            do {
                return try await self.client.send(command, timeout: blocks ? block + self.client.configuration.commandTimeout : nil)
            } catch let error as RedisError where error.serverErrorCode == "NOGROUP" {
                // A stream or group vanished (Redis restarted without persistence): recreate and read next time.
                try await self.prepare(platforms: platforms)
                return RESPValue.null
            }
        }
        return try await self.withBodies(Self.streams(reply, platforms: platforms))
    }

    public func claimIdle(platform: String, consumer: String, minIdle: Duration, count: Int) async throws(QueueError) -> [StreamEntry] {
        let keys = QueueKeys(platform: platform)
        var cursor = "0-0"
        var claimed: [StreamEntry] = []
        let idleMilliseconds = Int(minIdle.components.seconds * 1000 + minIdle.components.attoseconds / 1_000_000_000_000_000)
        // XAUTOCLAIM scans at most COUNT×10 pending entries per call: follow the cursor until it wraps to 0-0.
        repeat {
            let reply = try await Self.mapping { () async throws in
                try await self.client.send([
                    "XAUTOCLAIM", .string(keys.incoming), .string(QueueKeys.consumerGroup), .string(consumer),
                    .integer(idleMilliseconds), .string(cursor), "COUNT", .integer(count - claimed.count),
                ])
            }
            guard let parts = reply.array, parts.count >= 2, let next = parts[0].string else {
                throw QueueError("XAUTOCLAIM answered \(reply)")
            }
            cursor = next
            claimed += try Self.entries(parts[1], platform: platform)
        } while cursor != "0-0" && claimed.count < count
        guard !claimed.isEmpty else { return [] }
        // Entries with a retry schedule are the schedule's: ``claimDueRetries(platform:consumer:lease:count:)`` leases
        // them when due (returned here too, a retry falling due between the two would be attempted twice at once).
        let scores = try await Self.mapping { () async throws in
            try await self.client.send(["ZMSCORE", .string(keys.retrySchedule)] + claimed.map { .string($0.id) })
        }
        let unscheduled = (scores.array ?? []).map { $0.string == nil }
        return try await self.withBodies(
            zip(claimed, unscheduled + Array(repeating: true, count: max(0, claimed.count - unscheduled.count))).filter(\.1).map(\.0))
    }

    public func claimDueRetries(platform: String, consumer: String, lease: Duration, count: Int) async throws(QueueError) -> [StreamEntry] {
        let keys = QueueKeys(platform: platform)
        let now = WallClock.milliseconds()
        let leaseMilliseconds = Int64(lease.components.seconds * 1000)
        let ids = try await Self.mapping { () async throws in
            try await self.client.evalScript(
                Self.leaseDueScript, keys: [.string(keys.retrySchedule)],
                args: [.integer(Int(now)), .integer(Int(now + leaseMilliseconds)), .integer(count)])
        }
        let idList = (ids.array ?? []).compactMap(\.string)
        guard !idList.isEmpty else { return [] }
        let reply = try await Self.mapping { () async throws in
            try await self.client.send(
                ["XCLAIM", .string(keys.incoming), .string(QueueKeys.consumerGroup), .string(consumer), "0"]
                    + idList.map { .string($0) })
        }
        let entries = try await self.withBodies(Self.entries(reply, platform: platform))
        // Ids that were deleted meanwhile are no longer anyone's work.
        let found = Set(entries.map(\.id))
        for id in idList where !found.contains(id) {
            _ = try await Self.mapping { () async throws in
                try await self.client.send(["ZREM", .string(keys.retrySchedule), .string(id)])
            }
        }
        return entries
    }

    public func complete(_ entries: [StreamEntry], fanOut: [FanOut]) async throws(QueueError) {
        let deliveries = Dictionary(grouping: fanOut, by: \.source)
        for (platform, group) in Dictionary(grouping: entries, by: \.platform) {
            let settled = group.map { ($0.id, $0.string(StreamEntry.bodyRefField)) }
            _ = try await Self.mapping { () async throws in
                do {
                    let call = Self.completeCall(platform: platform, entries: settled, fanOut: deliveries)
                    return try await self.client.submitScript(call, on: self.client.eventLoopGroup.any()).get()
                } catch let error where RedisError(error).serverErrorCode == "BODYMISSING" {
                    // A delivery's body was refused (a full Redis) or evicted: sent inline instead, as the script's
                    // argument, which Redis takes once the call has written (its acknowledgement) even when full.
                    let call = Self.completeCall(platform: platform, entries: settled, fanOut: deliveries, keepingBodiesApart: false)
                    return try await self.client.submitScript(call, on: self.client.eventLoopGroup.any()).get()
                }
            }
        }
    }

    /// The complete script's call for `entries` (id, body ref), all of `platform`, with the deliveries of each (by its
    /// id). With `keepingBodiesApart`, a delivery's `body` of ``inlineBodyLimit`` bytes or more is kept apart, as an
    /// incoming entry's is: its `SET` goes before the script, and its entry names it in ``StreamEntry/bodyRefField``.
    static func completeCall(
        platform: String, entries: [(id: String, bodyRef: String?)], fanOut: [String: [FanOut]], keepingBodiesApart: Bool = true
    ) -> RedisScriptCall {
        let keys = QueueKeys(platform: platform)
        let ids = entries.map(\.id)
        var keyArgs = keys.settling(keys.processedCounter)
        var args: [RedisArgument] = [.string(QueueKeys.consumerGroup), .integer(ids.count)] + ids.map { .string($0) }
        for entry in entries {
            if let ref = entry.bodyRef {
                keyArgs.append(.string(keys.body(ref: ref)))
                args.append(.integer(keyArgs.count))
            } else {
                args.append(.integer(0))
            }
        }
        var laneIndex: [String: Int] = [:]
        var bodies: [[RedisArgument]] = []
        for (position, id) in ids.enumerated() {
            for delivery in fanOut[FanOut.source(platform: keys.owner, id: id)] ?? [] {
                let lane = QueueKeys(platform: delivery.lane)
                precondition(lane.owner == keys.owner, "a delivery goes to a lane of its entry's platform")
                let index =
                    laneIndex[delivery.lane]
                    ?? {
                        keyArgs.append(.string(lane.incoming))
                        keyArgs.append(.string(lane.deadLetter))
                        laneIndex[delivery.lane] = keyArgs.count - 1
                        return keyArgs.count - 1
                    }()
                var bodyIndex = 0
                var fields = delivery.fields
                if keepingBodiesApart, let at = fields.firstIndex(where: { $0.0 == "body" }), fields[at].1.readableBytes >= Self.inlineBodyLimit {
                    let ref = Self.newBodyRef()
                    let key = keys.body(ref: ref)
                    bodies.append(["SET", .string(key), .bytes(fields[at].1), "EX", .integer(Self.bodyStagingSeconds)])
                    keyArgs.append(.string(key))
                    bodyIndex = keyArgs.count
                    fields[at] = (StreamEntry.bodyRefField, ByteBuffer(string: ref))
                }
                args += [
                    .integer(position + 1), .integer(index), .integer(index + 1), .integer(delivery.maxBacklog), .integer(bodyIndex),
                    .integer(fields.count * 2),
                ]
                for (field, value) in fields {
                    args.append(.string(field))
                    args.append(.bytes(value))
                }
            }
        }
        return RedisScriptCall(Self.completeScript, keys: keyArgs, args: args, preceding: bodies)
    }

    public func recordFailedAttempt(_ entry: StreamEntry) async throws(QueueError) -> Int {
        let keys = QueueKeys(platform: entry.platform)
        let reply = try await Self.mapping { () async throws in
            try await self.client.send(["HINCRBY", .string(keys.attempts), .string(entry.id), "1"])
        }
        guard let attempts = reply.int else { throw QueueError("HINCRBY answered \(reply)") }
        return attempts
    }

    public func scheduleRetry(_ entry: StreamEntry, dueAtMilliseconds: Int64) async throws(QueueError) {
        let keys = QueueKeys(platform: entry.platform)
        _ = try await Self.mapping { () async throws in
            try await self.client.send(["ZADD", .string(keys.retrySchedule), .integer(Int(dueAtMilliseconds)), .string(entry.id)])
        }
        try await self.clearInterruptions(entry)
    }

    public func interruptions(_ entries: [StreamEntry]) async throws(QueueError) -> [Int] {
        var counts = [Int](repeating: 0, count: entries.count)
        for (platform, indices) in Dictionary(grouping: entries.indices, by: { entries[$0].platform }) {
            let reply = try await Self.mapping { () async throws in
                try await self.client.send(["HMGET", .string(QueueKeys(platform: platform).interrupted)] + indices.map { .string(entries[$0].id) })
            }
            for (index, value) in zip(indices, reply.array ?? []) { counts[index] = value.int ?? 0 }
        }
        return counts
    }

    public func beginSuspectDelivery(_ entry: StreamEntry) async throws(QueueError) {
        _ = try await Self.mapping { () async throws in
            try await self.client.send(["HINCRBY", .string(QueueKeys(platform: entry.platform).interrupted), .string(entry.id), "1"])
        }
    }

    public func withdrawSuspectDelivery(_ entry: StreamEntry) async throws(QueueError) {
        let key = QueueKeys(platform: entry.platform).interrupted
        _ = try await Self.mapping { () async throws in
            let left = try await self.client.send(["HINCRBY", .string(key), .string(entry.id), "-1"])
            // Nothing left to count: forget it (a settle in between may already have).
            if (left.int ?? 0) <= 0 { _ = try await self.client.send(["HDEL", .string(key), .string(entry.id)]) }
        }
    }

    public func clearInterruptions(_ entry: StreamEntry) async throws(QueueError) {
        _ = try await Self.mapping { () async throws in
            try await self.client.send(["HDEL", .string(QueueKeys(platform: entry.platform).interrupted), .string(entry.id)])
        }
    }

    @discardableResult
    public func deadLetter(_ entry: StreamEntry, error: String, attempts: Int) async throws(QueueError) -> Bool {
        let keys = QueueKeys(platform: entry.platform)
        var args: [RedisArgument] = [.string(QueueKeys.consumerGroup), .string(entry.id)]
        for (field, value) in DeadLetter.fields(of: entry, error: error, attempts: attempts) {
            args.append(.string(field))
            args.append(.bytes(value))
        }
        let reply = try await Self.mapping { () async throws in
            try await self.client.evalScript(Self.deadLetterScript, keys: keys.settling(keys.deadLetter), args: args)
        }
        // The script answers the dead letter's id, or false (a null reply) when it only forgot a settled entry.
        if case .null = reply { return false }
        return true
    }

    /// Parses an `XREADGROUP` reply: `[[stream, [[id, [f, v, ...]], ...]], ...]` (null when nothing arrived).
    static func streams(_ reply: RESPValue, platforms: [String]) throws(QueueError) -> [StreamEntry] {
        guard case .array(let streams) = reply else { return [] }
        var byKey: [String: String] = [:]
        for platform in platforms { byKey[QueueKeys(platform: platform).incoming] = platform }
        var result: [StreamEntry] = []
        for stream in streams {
            guard let pair = stream.array, pair.count == 2, let key = pair[0].string, let platform = byKey[key] else {
                throw QueueError("unexpected XREADGROUP reply")
            }
            result += try entries(pair[1], platform: platform)
        }
        return result
    }

    /// `entries`, each whose body is written apart (``StreamEntry/bodyRefField``) with its body (``StreamEntry/bodyField``)
    /// read from its key: one `MGET` per platform. A body that is not there leaves the entry without it, which its reader
    /// reports.
    func withBodies(_ entries: [StreamEntry]) async throws(QueueError) -> [StreamEntry] {
        var result = entries
        let byPlatform = Dictionary(grouping: result.indices.filter { result[$0].fields[StreamEntry.bodyRefField] != nil }) {
            QueueKeys(platform: result[$0].platform).owner
        }
        for (platform, indices) in byPlatform {
            let keys = QueueKeys(platform: platform)
            let reply = try await Self.mapping { () async throws in
                try await self.client.send(["MGET"] + indices.map { .string(keys.body(ref: result[$0].string(StreamEntry.bodyRefField) ?? "")) })
            }
            guard let bodies = reply.array, bodies.count == indices.count else { throw QueueError("MGET answered \(reply)") }
            for (index, body) in zip(indices, bodies) {
                if case .bulkString(let value) = body { result[index].fields[result[index].bodyField] = value }
            }
        }
        return result
    }

    /// Parses `[[id, [f, v, ...]], ...]`; an entry whose fields are nil (deleted while pending) is skipped.
    static func entries(_ reply: RESPValue, platform: String) throws(QueueError) -> [StreamEntry] {
        guard let items = reply.array else { return [] }
        var result: [StreamEntry] = []
        for item in items {
            guard let pair = item.array, pair.count == 2, let id = pair[0].string else { continue }
            guard let flat = pair[1].array else { continue }
            var fields: [String: ByteBuffer] = [:]
            for i in stride(from: 0, to: flat.count - 1, by: 2) {
                guard let name = flat[i].string, case .bulkString(let value) = flat[i + 1] else { continue }
                fields[name] = value
            }
            result.append(StreamEntry(platform: platform, id: id, fields: fields))
        }
        return result
    }
}

/// The dead-letter queue on Redis.
extension RedisWebhookQueue {
    /// KEYS: dead-letter stream, incoming stream. ARGV: group, then ids. Each id moves atomically (XADD, then XDEL),
    /// without the fields dead-lettering added. Returns `{replayed, missing...}`.
    static let replayScript = RedisScript(resource: PackageResources.replay_lua)

    public func deadLetters(platform: String, after: String?, count: Int, newestFirst: Bool) async throws(QueueError) -> [StreamEntry] {
        try await self.withBodies(self.deadLetterPage(platform: platform, after: after, count: count, newestFirst: newestFirst))
    }

    /// A page of dead-letter entries as stored: a body kept apart is not read.
    private func deadLetterPage(platform: String, after: String?, count: Int, newestFirst: Bool = false) async throws(QueueError) -> [StreamEntry] {
        // Nothing is older than 0-0 (and Redis refuses the interval).
        if newestFirst && after == "0-0" { return [] }
        let key = QueueKeys(platform: platform).deadLetter
        let command: [RedisArgument] =
            newestFirst
            ? ["XREVRANGE", .string(key), .string(after.map { "(\($0)" } ?? "+"), "-", "COUNT", .integer(count)]
            : ["XRANGE", .string(key), .string(after.map { "(\($0)" } ?? "-"), "+", "COUNT", .integer(count)]
        let reply = try await Self.mapping { () async throws in try await self.client.send(command) }
        return try Self.entries(reply, platform: platform)
    }

    public func replayDeadLetters(platform: String, ids: [String]?) async throws(QueueError) -> (replayed: Int, missing: [String]) {
        let keys = QueueKeys(platform: platform)
        var replayed = 0
        var missing: [String] = []
        var batches: [[String]] = []
        if let ids {
            // Whole ids only: Redis reads `<ms>` as a range of entries in one place and as `<ms>-0` in another.
            missing = ids.filter { !StreamEntry.isValidID($0) }
            let valid = ids.filter { StreamEntry.isValidID($0) }
            batches = stride(from: 0, to: valid.count, by: 100).map { Array(valid[$0..<min($0 + 100, valid.count)]) }
        } else {
            var after: String?
            while true {
                let page = try await self.deadLetterPage(platform: platform, after: after, count: 100)
                guard let last = page.last else { break }
                batches.append(page.map(\.id))
                after = last.id
            }
        }
        for batch in batches where !batch.isEmpty {
            let reply = try await Self.mapping { () async throws in
                try await self.client.evalScript(
                    Self.replayScript, keys: [.string(keys.deadLetter), .string(keys.incoming)],
                    args: [.string(QueueKeys.consumerGroup)] + batch.map { .string($0) })
            }
            guard let parts = reply.array, let count = parts.first?.int else { throw QueueError("replay answered \(reply)") }
            replayed += count
            missing += parts.dropFirst().compactMap(\.string)
        }
        return (replayed, missing)
    }

    /// KEYS: dead-letter stream, then the entries' body keys. ARGV: ids, then each one's body key index (0: none).
    /// Deletes each entry, and its body with it.
    static let purgeScript = RedisScript(resource: PackageResources.purge_lua)

    public func purgeDeadLetters(platform: String, ids: [String]) async throws(QueueError) -> Int {
        let keys = QueueKeys(platform: platform)
        // Whole ids only: Redis reads `<ms>` as a range of entries in one place and as `<ms>-0` in another.
        let valid = ids.filter { StreamEntry.isValidID($0) }
        var purged = 0
        for start in stride(from: 0, to: valid.count, by: 100) {
            let batch = valid[start..<min(start + 100, valid.count)]
            // Each entry's body key, read first (the reads pipelined on the connection): an entry never changes, and
            // the script deletes a body only with its entry, so a ref read here is still right then.
            let found = try await Self.mapping { () async throws in
                try await withThrowingTaskGroup(of: (Int, RESPValue).self) { group in
                    for (index, id) in batch.enumerated() {
                        group.addTask { (index, try await self.client.send(["XRANGE", .string(keys.deadLetter), .string(id), .string(id)])) }
                    }
                    var found = [RESPValue](repeating: .null, count: batch.count)
                    for try await (index, reply) in group { found[index] = reply }
                    return found
                }
            }
            var keyArgs: [RedisArgument] = [.string(keys.deadLetter)]
            var indices: [RedisArgument] = []
            for reply in found {
                if let ref = try Self.entries(reply, platform: platform).first?.string(StreamEntry.bodyRefField) {
                    keyArgs.append(.string(keys.body(ref: ref)))
                    indices.append(.integer(keyArgs.count))
                } else {
                    indices.append(.integer(0))
                }
            }
            let reply = try await Self.mapping { () async throws in
                try await self.client.evalScript(Self.purgeScript, keys: keyArgs, args: batch.map { .string($0) } + indices)
            }
            purged += reply.int ?? 0
        }
        return purged
    }
}

extension QueueKeys {
    /// The keys of a script that settles entries (complete, dead-letter): the stream, `destination` (the processed
    /// counter or the dead-letter stream), then the attempts, retry schedule and interrupted counts it clears.
    func settling(_ destination: String) -> [RedisArgument] {
        [.string(self.incoming), .string(destination), .string(self.attempts), .string(self.retrySchedule), .string(self.interrupted)]
    }
}
