import NIOCore

/// Typed wrappers for the commands Hookbay uses.
extension RedisClient {
    /// `PING`: succeeds when the server answers; on a cluster, when any primary does (one primary down makes its
    /// platforms' commands fail until a replica takes over, not the whole cluster unusable), within the connect
    /// timeout each.
    public func ping() async throws(RedisError) {
        guard self.configuration.isCluster else {
            let reply = try await self.send(["PING"])
            guard reply.string == "PONG" else { throw .unexpectedReply("PING answered \(reply)") }
            return
        }
        let primaries = try await self.primaries()
        let timeout = self.configuration.connectTimeout
        let failure: RedisError? = await withTaskGroup(of: RedisError?.self) { group in
            for address in primaries {
                group.addTask {
                    do {
                        let reply = try await self.sendToPrimary(address, ["PING"], timeout: timeout)
                        return reply.string == "PONG" ? nil : .unexpectedReply("PING answered \(reply)")
                    } catch {
                        return RedisError(error)
                    }
                }
            }
            var last: RedisError? = .unexpectedReply("the Redis Cluster has no primary")
            for await outcome in group {
                guard let outcome else {
                    group.cancelAll()
                    return nil
                }
                last = outcome
            }
            return last
        }
        if let failure { throw failure }
    }

    /// `XLEN key`: entries in a stream (0 when it does not exist).
    public func xlen(_ key: String) async throws(RedisError) -> Int {
        try Self.integer(await self.send(["XLEN", .string(key)]), "XLEN")
    }

    /// `XGROUP CREATE key group id MKSTREAM`; returns `false` when the group already existed.
    @discardableResult
    public func xgroupCreate(stream: String, group: String, from id: String = "0") async throws(RedisError) -> Bool {
        do {
            _ = try await self.send(["XGROUP", "CREATE", .string(stream), .string(group), .string(id), "MKSTREAM"])
            return true
        } catch  where error.serverErrorCode == "BUSYGROUP" {
            return false
        }
    }

    /// `GET key` as an integer (0 when absent).
    public func getInt(_ key: String) async throws(RedisError) -> Int {
        let reply = try await self.send(["GET", .string(key)])
        if reply.isNull { return 0 }
        guard let value = reply.int else { throw .unexpectedReply("GET \(key) is not an integer") }
        return value
    }

    /// `TTL key` in seconds (-2 when absent, -1 when it has no expiry).
    public func ttl(_ key: String) async throws(RedisError) -> Int {
        try Self.integer(await self.send(["TTL", .string(key)]), "TTL")
    }

    /// One consumer group as `XINFO GROUPS` describes it.
    public struct StreamGroupInfo: Sendable, Equatable {
        public var name: String
        public var consumers: Int
        /// Entries delivered to a consumer and not yet acknowledged.
        public var pending: Int
        public var lastDeliveredID: String
        /// Entries not yet delivered to the group; `nil` when Redis cannot tell (deleted entries in the range).
        public var lag: Int?
    }

    /// `XINFO GROUPS key`; an empty list when the stream does not exist.
    public func xinfoGroups(_ key: String) async throws(RedisError) -> [StreamGroupInfo] {
        let reply: RESPValue
        do {
            reply = try await self.send(["XINFO", "GROUPS", .string(key)])
        } catch  where error.serverErrorCode == "ERR" && error.description.contains("no such key") {
            return []
        }
        guard let groups = reply.array else { throw .unexpectedReply("XINFO GROUPS is not an array") }
        return try groups.map { group throws(RedisError) in
            guard let fields = group.array, fields.count % 2 == 0 else {
                throw .unexpectedReply("XINFO GROUPS entry is not a field list")
            }
            var info = StreamGroupInfo(name: "", consumers: 0, pending: 0, lastDeliveredID: "0-0", lag: nil)
            for i in stride(from: 0, to: fields.count, by: 2) {
                switch fields[i].string {
                case "name": info.name = fields[i + 1].string ?? ""
                case "consumers": info.consumers = fields[i + 1].int ?? 0
                case "pending": info.pending = fields[i + 1].int ?? 0
                case "last-delivered-id": info.lastDeliveredID = fields[i + 1].string ?? "0-0"
                case "lag": info.lag = fields[i + 1].int
                default: break
                }
            }
            return info
        }
    }

    /// Runs a Lua script with `EVALSHA`, sending the body with `EVAL` once when the server does not know it
    /// (first use, or after a restart or `SCRIPT FLUSH`): one round trip in the common case.
    public func evalScript(_ script: RedisScript, keys: [RedisArgument], args: [RedisArgument]) async throws(RedisError) -> RESPValue {
        do {
            return try await self.submitScript(script, keys: keys, args: args, on: self.eventLoopGroup.any()).get()
        } catch {
            throw RedisError(error)
        }
    }

    /// ``evalScript(_:keys:args:)`` without a task, for code running on an event loop (see ``submit(_:on:)``).
    public func submitScript(
        _ script: RedisScript, keys: [RedisArgument], args: [RedisArgument],
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<RESPValue> {
        self.submitScript(RedisScriptCall(script, keys: keys, args: args), on: eventLoop)
    }

    /// Runs `call`: its preceding commands and the script back to back on one connection, the script as `EVALSHA`,
    /// and all of them again with `EVAL` when the server does not know it. Answers the script's reply.
    public func submitScript(_ call: RedisScriptCall, on eventLoop: any EventLoop) -> EventLoopFuture<RESPValue> {
        let first = self.submit(sequence: call.sequence(eval: false), on: eventLoop)
        return first.flatMapError { error in
            guard RedisError(error).serverErrorCode == "NOSCRIPT" else { return first.eventLoop.makeFailedFuture(error) }
            return self.submit(sequence: call.sequence(eval: true), on: eventLoop)
        }
    }

    static func integer(_ reply: RESPValue, _ command: String) throws(RedisError) -> Int {
        guard case .integer(let value) = reply else { throw .unexpectedReply("\(command) answered \(reply)") }
        return value
    }
}
