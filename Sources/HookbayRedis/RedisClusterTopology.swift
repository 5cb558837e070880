import Logging
import NIOCore
import Synchronization

/// A Redis Cluster's slot map as one process knows it: learned from any node that answers `CLUSTER SLOTS` (the known
/// primaries first, then the seeds), on a connection of its own, at most once per
/// ``RedisConfiguration/reconnectBackoff``; corrected by `MOVED`; learned again after failures that may mean it is out
/// of date. Shared by the process's clients of the cluster (the shared one, one per event loop, one per worker), so a
/// failover is learned once per process rather than once per client.
public final class RedisClusterTopology: Sendable {
    private struct State {
        var map = RedisClusterMap()
        /// The map being learned now, if it is.
        var learning: EventLoopFuture<Void>?
        /// When the map was last learned, or the last attempt failed, and why.
        var learned: (at: ContinuousClock.Instant, failure: RedisError?)?
    }

    let configuration: RedisConfiguration
    let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex(State())

    init(configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// The map as last learned.
    public var map: RedisClusterMap { self.state.withLock { $0.map } }

    /// The map, and whether it is older than `refreshInterval`.
    func mapAndStaleness(refreshInterval: Duration) -> (RedisClusterMap, Bool) {
        self.state.withLock { state in
            (state.map, state.learned.map { ContinuousClock.now - $0.at >= refreshInterval } ?? false)
        }
    }

    /// A redirect for good: the map is out of date for this slot at least, and likely for others moved with it.
    func moved(_ redirect: RedisRedirect) {
        self.state.withLock { $0.map.assign(slot: redirect.slot, to: redirect.address) }
        self.learnSoon()
    }

    /// A failure that may mean the map is out of date (a primary down, a failover in progress): learn it again.
    func noteFailure(_ error: RedisError) {
        switch error {
        case .connectionFailed, .connectionClosed, .timeout:
            self.learnSoon()
        case .server:
            if let code = error.serverErrorCode, ["CLUSTERDOWN", "READONLY", "LOADING", "MASTERDOWN"].contains(code) {
                self.learnSoon()
            }
        default:
            break
        }
    }

    /// Learns the map in the background, unless that is under way or was done within the backoff.
    func learnSoon() {
        let due = self.state.withLock { state in
            guard state.learning == nil else { return false }
            guard let learned = state.learned else { return true }
            return ContinuousClock.now - learned.at >= self.configuration.reconnectBackoff
        }
        if due { _ = self.learn(on: self.eventLoopGroup.any()) }
    }

    /// Learns the map from the first node that answers `CLUSTER SLOTS`: once at a time (callers meanwhile wait for
    /// that one), and failing at once within the backoff after a failed attempt.
    func learn(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        enum Next {
            case wait(EventLoopFuture<Void>)
            case fail(RedisError)
            case done
            case start(EventLoopPromise<Void>, [RedisNodeAddress])
        }
        let next = self.state.withLock { state -> Next in
            if let learning = state.learning { return .wait(learning) }
            if let learned = state.learned, ContinuousClock.now - learned.at < self.configuration.reconnectBackoff {
                // Learned (or failed to) just now: once per backoff, however many commands ask.
                if let failure = learned.failure { return .fail(failure) }
                if !state.map.isEmpty { return .done }
            }
            let promise = eventLoop.makePromise(of: Void.self)
            state.learning = promise.futureResult
            var candidates = state.map.primaries.shuffled()
            for seed in self.configuration.clusterSeeds where !candidates.contains(seed) { candidates.append(seed) }
            return .start(promise, candidates)
        }
        switch next {
        case .wait(let future): return future.hop(to: eventLoop)
        case .fail(let error): return eventLoop.makeFailedFuture(error)
        case .done: return eventLoop.makeSucceededVoidFuture()
        case .start(let promise, let candidates):
            promise.completeWithTask { try await self.learn(from: candidates) }
            return promise.futureResult
        }
    }

    private func learn(from candidates: [RedisNodeAddress]) async throws(RedisError) {
        var problems: [String] = []
        for address in candidates {
            do throws(RedisError) {
                // A connection of its own: on the node's shared one, the question could wait behind a WAIT or a
                // blocking read for seconds.
                let connection = try await RedisConnection.connect(to: self.configuration.node(address), on: self.eventLoopGroup)
                defer { connection.close() }
                let reply = try await connection.send(["CLUSTER", "SLOTS"], timeout: self.configuration.connectTimeout)
                let map = try RedisClusterMap(clusterSlots: reply, answeredBy: address)
                let previous = self.state.withLock { state in
                    defer {
                        state.map = map
                        state.learning = nil
                        state.learned = (ContinuousClock.now, nil)
                    }
                    return state.map
                }
                if previous.primaries != map.primaries {
                    self.logger.info(
                        "Redis Cluster map learned",
                        metadata: [
                            "primaries": .string(map.primaries.map(\.description).joined(separator: ",")), "from": .string(address.description),
                        ])
                }
                return
            } catch {
                problems.append("\(address): \(error)")
            }
        }
        let failure = RedisError.connectionFailed("no node of the Redis Cluster answered CLUSTER SLOTS (\(problems.joined(separator: "; ")))")
        self.state.withLock { state in
            state.learning = nil
            state.learned = (ContinuousClock.now, failure)
        }
        self.logger.warning("cannot learn the Redis Cluster map", metadata: ["error": .string(failure.description)])
        throw failure
    }
}
