import Logging
import NIOCore
import Synchronization

/// The cluster side of ``RedisClient``: a connection per node, the slot map, and the routing of each command to the
/// node serving its key's slot.
///
/// The map is learned from any node that answers `CLUSTER SLOTS` (the known primaries first, then the seeds) before
/// the first command, corrected by every `MOVED` redirect, and learned again, at most once per
/// ``RedisConfiguration/reconnectBackoff``, when a node cannot be reached or answers that the cluster is down: after a
/// failover the promoted replica is found within one backoff of the cluster electing it.
///
/// A command is sent again only when a node redirected it (`MOVED`, `ASK`: it did not run there), at most
/// ``maxRedirects`` times. A command whose connection failed is not sent again: it may have run. Its caller sees the
/// failure (a delivery is answered 503; the sender's retry is a duplicate, as on one server).
final class RedisCluster: Sendable {
    /// Redirects one command follows at most (a slot moving while it is being migrated redirects twice).
    static let maxRedirects = 5
    /// Node connections kept at most; past it, those of nodes no longer in the map are closed.
    static let maxNodes = 256
    /// How old a map may get before it is learned again, failures or not (a change no command has run into yet).
    static let refreshInterval = Duration.seconds(60)

    private struct State {
        var nodes: [RedisNodeAddress: RedisNodeClient] = [:]
        var shutDown = false
    }

    let configuration: RedisConfiguration
    let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex(State())
    /// The slot map, which may be shared with the process's other clients of the cluster.
    let topology: RedisClusterTopology

    init(configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger, topology: RedisClusterTopology? = nil) {
        precondition(configuration.isCluster, "a cluster needs seed nodes")
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.topology = topology ?? RedisClusterTopology(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// The map as last learned.
    var map: RedisClusterMap { self.topology.map }

    /// The client of the node at `address`, created on first use.
    func node(_ address: RedisNodeAddress) -> RedisNodeClient {
        let (node, refused, closed) = self.state.withLock { state -> (RedisNodeClient, Bool, [RedisNodeClient]) in
            if let node = state.nodes[address] { return (node, false, []) }
            var closed: [RedisNodeClient] = []
            if state.nodes.count >= Self.maxNodes {
                let current = Set(self.topology.map.primaries)
                for (known, client) in state.nodes where !current.contains(known) {
                    closed.append(client)
                    state.nodes[known] = nil
                }
            }
            let node = RedisNodeClient(configuration: self.configuration.node(address), eventLoopGroup: self.eventLoopGroup, logger: self.logger)
            state.nodes[address] = node
            return (node, state.shutDown, closed)
        }
        for client in closed { client.shutdown() }
        // Created after shutdown: fails every command with `shutDown`.
        if refused { node.shutdown() }
        return node
    }

    // MARK: Routing

    /// Sends `args` to the node serving its first key's slot (any primary for a command without keys), following
    /// redirects; the future completes on the connection's event loop, or on `eventLoop`.
    func submit(_ args: [RedisArgument], timeout: Duration?, on eventLoop: any EventLoop) -> EventLoopFuture<RESPValue> {
        self.submit(sequence: [args], timeout: timeout, on: eventLoop)
    }

    /// Sends `commands` back to back to the node serving the last one's slot, all of them again after a redirect, and
    /// answers the last one's reply (see ``RedisClient/submit(sequence:on:)``).
    func submit(sequence commands: [[RedisArgument]], timeout: Duration?, on eventLoop: any EventLoop) -> EventLoopFuture<RESPValue> {
        let slot = RedisClusterSlot.of(command: commands[commands.count - 1])
        assert(commands.allSatisfy { RedisClusterSlot.of(command: $0).map { $0 == slot } ?? true }, "a sequence's keys share one slot")
        return self.address(for: slot, on: eventLoop).flatMap { address in
            self.attempt(commands, slot: slot, at: address, asking: false, timeout: timeout, redirects: 0, on: eventLoop)
        }
    }

    private func attempt(
        _ commands: [[RedisArgument]], slot: Int?, at address: RedisNodeAddress, asking: Bool, timeout: Duration?, redirects: Int,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<RESPValue> {
        let promise = eventLoop.makePromise(of: RESPValue.self)
        self.node(address).connectionFuture(on: eventLoop).whenComplete { connected in
            switch connected {
            case .success(let connection):
                let sent = connection.submit(last: commands, asking: asking, timeout: timeout)
                promise.completeWith(
                    sent.flatMapError { error in
                        self.answered(RedisError(error), commands, slot: slot, at: address, timeout: timeout, redirects: redirects, on: eventLoop)
                    })
            case .failure(let error):
                promise.completeWith(
                    self.unsent(RedisError(error), commands, slot: slot, at: address, timeout: timeout, redirects: redirects, on: eventLoop))
            }
        }
        return promise.futureResult
    }

    /// A sent command's failure: a redirect is followed and `TRYAGAIN` (a multi-key command during a slot's
    /// migration) tried again shortly, since neither ran; anything else may have run, and is the caller's.
    private func answered(
        _ error: RedisError, _ commands: [[RedisArgument]], slot: Int?, at address: RedisNodeAddress, timeout: Duration?, redirects: Int,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<RESPValue> {
        if let redirect = RedisRedirect(error, answeredBy: address) {
            guard redirects < Self.maxRedirects else {
                return eventLoop.makeFailedFuture(
                    RedisError.server("CLUSTERDOWN \(redirects) redirects for slot \(redirect.slot): the cluster is resharding"))
            }
            if !redirect.asking { self.topology.moved(redirect) }
            return self.attempt(
                commands, slot: slot, at: redirect.address, asking: redirect.asking, timeout: timeout, redirects: redirects + 1, on: eventLoop)
        }
        if error.serverErrorCode == "TRYAGAIN", redirects < Self.maxRedirects {
            let pause = TimeAmount.milliseconds(20 << Int64(redirects))
            return eventLoop.scheduleTask(in: pause) {}.futureResult.flatMap {
                self.address(for: slot, on: eventLoop).flatMap { owner in
                    self.attempt(commands, slot: slot, at: owner, asking: false, timeout: timeout, redirects: redirects + 1, on: eventLoop)
                }
            }
        }
        self.topology.noteFailure(error)
        return eventLoop.makeFailedFuture(error)
    }

    /// A command that was never sent (its node could not be reached): once the map is learned again, sent to the
    /// slot's owner if that is another node now (a failover promoted it), else failed.
    private func unsent(
        _ error: RedisError, _ commands: [[RedisArgument]], slot: Int?, at address: RedisNodeAddress, timeout: Duration?, redirects: Int,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<RESPValue> {
        guard redirects < Self.maxRedirects else { return eventLoop.makeFailedFuture(error) }
        return self.topology.learn(on: eventLoop).flatMapError { _ in eventLoop.makeSucceededVoidFuture() }.flatMap {
            guard let owner = self.lookUp(slot, in: self.map), owner != address else {
                return eventLoop.makeFailedFuture(error)
            }
            return self.attempt(commands, slot: slot, at: owner, asking: false, timeout: timeout, redirects: redirects + 1, on: eventLoop)
        }
    }

    /// The primary serving `slot` in `map`, any primary for `nil`.
    private func lookUp(_ slot: Int?, in map: RedisClusterMap) -> RedisNodeAddress? {
        guard let slot else { return map.primaries.randomElement() }
        return map.primary(for: slot)
    }

    /// The primary serving `slot` (any primary for `nil`), learning the map first when none is known, and again in
    /// the background when it is older than ``refreshInterval``.
    func address(for slot: Int?, on eventLoop: any EventLoop) -> EventLoopFuture<RedisNodeAddress> {
        let (map, stale) = self.topology.mapAndStaleness(refreshInterval: Self.refreshInterval)
        if let known = self.lookUp(slot, in: map) {
            if stale { self.topology.learnSoon() }
            return eventLoop.makeSucceededFuture(known)
        }
        return self.topology.learn(on: eventLoop).flatMapThrowing {
            guard let address = self.lookUp(slot, in: self.map) else {
                self.topology.learnSoon()
                throw RedisError.server("CLUSTERDOWN no node of the Redis Cluster serves hash slot \(slot ?? -1)")
            }
            return address
        }
    }

    /// Every primary in the map (learned first when none is known).
    func primaries() async throws(RedisError) -> [RedisNodeAddress] {
        if self.map.isEmpty {
            do {
                try await self.topology.learn(on: self.eventLoopGroup.any()).get()
            } catch {
                throw RedisError(error)
            }
        }
        return self.map.primaries
    }

    // MARK: Replicated scripts

    /// ``RedisClient/submitScripts(_:on:replicas:timeout:)`` on a cluster: the calls of each primary pipelined on its
    /// connection and confirmed by a `WAIT` there; calls a node redirected go again to the node it named.
    func submitScripts(
        _ calls: [RedisScriptCall], on eventLoop: any EventLoop, replicas: Int, timeout: Duration
    ) -> EventLoopFuture<[Result<RESPValue, RedisError>]> {
        let results = [Result<RESPValue, RedisError>](repeating: .failure(.connectionClosed), count: calls.count)
        let targets = calls.indices.map { _ in Target?.none }
        return self.replicatedRound(
            calls, pending: Array(calls.indices), targets: targets, results: results, round: 0, on: eventLoop, replicas, timeout)
    }

    /// Where a redirected call goes next.
    private struct Target: Hashable {
        var address: RedisNodeAddress
        var asking: Bool
    }

    private func replicatedRound(
        _ calls: [RedisScriptCall], pending: [Int], targets: [Target?], results: [Result<RESPValue, RedisError>], round: Int,
        on eventLoop: any EventLoop, _ replicas: Int, _ timeout: Duration
    ) -> EventLoopFuture<[Result<RESPValue, RedisError>]> {
        let ready: EventLoopFuture<Void> = self.map.isEmpty ? self.topology.learn(on: eventLoop) : eventLoop.makeSucceededVoidFuture()
        return ready.flatMap {
            let map = self.map
            var failed = results
            var groups: [Target: [Int]] = [:]
            for index in pending {
                if let target = targets[index] {
                    groups[target, default: []].append(index)
                } else if let slot = RedisClusterSlot.of(command: calls[index].evalsha), let address = map.primary(for: slot) {
                    groups[Target(address: address, asking: false), default: []].append(index)
                } else {
                    failed[index] = .failure(.server("CLUSTERDOWN no node of the Redis Cluster serves the call's hash slot"))
                    self.topology.learnSoon()
                }
            }
            let sent = groups.map { target, indices in
                self.node(target.address).withConnection(on: eventLoop) { connection in
                    RedisClient.replicated(
                        indices.map { calls[$0] }, asking: target.asking, on: connection, eventLoop: eventLoop, replicas: replicas, timeout: timeout)
                }.flatMapErrorThrowing { error in indices.map { _ in Result<RESPValue, RedisError>.failure(RedisError(error)) } }
                    .map { (target, indices, $0) }
            }
            return EventLoopFuture.whenAllSucceed(sent, on: eventLoop).flatMap { [failed] answers in
                var results = failed
                var again: [Int] = []
                var next = targets
                for (target, indices, outcomes) in answers {
                    for (index, outcome) in zip(indices, outcomes) {
                        results[index] = outcome
                        guard case .failure(let error) = outcome else { continue }
                        if let redirect = RedisRedirect(error, answeredBy: target.address), round < Self.maxRedirects {
                            if !redirect.asking { self.topology.moved(redirect) }
                            next[index] = Target(address: redirect.address, asking: redirect.asking)
                            again.append(index)
                        } else {
                            self.topology.noteFailure(error)
                        }
                    }
                }
                guard !again.isEmpty else { return eventLoop.makeSucceededFuture(results) }
                return self.replicatedRound(
                    calls, pending: again, targets: next, results: results, round: round + 1, on: eventLoop, replicas, timeout)
            }
        }
    }

    // MARK: Lifecycle

    /// Closes every node's connection; every later command fails with ``RedisError/shutDown``.
    func shutdown() {
        let nodes = self.state.withLock { state in
            state.shutDown = true
            return Array(state.nodes.values)
        }
        for node in nodes { node.shutdown() }
    }
}
