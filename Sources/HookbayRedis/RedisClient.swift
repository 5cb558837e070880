import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// A Redis client for one server or a Redis Cluster, keeping pipelined connections open and reconnecting by itself.
///
/// Commands never block an event loop: they are written to a SwiftNIO channel and their replies awaited. When a
/// connection drops (Redis restarted, network cut) the commands in flight fail with a ``RedisError`` and the next
/// command connects again. After a failed connect, commands fail fast for ``RedisConfiguration/reconnectBackoff``
/// so that a dead Redis answers callers at once instead of piling up connection attempts.
///
/// For a cluster (``RedisConfiguration/isCluster``) the client keeps one connection per node and sends each command
/// to the node serving its first key's hash slot, following `MOVED` and `ASK` redirects; a command's keys must share
/// one slot, as Redis requires (Hookbay's keys of one platform do: `{platform}`).
///
/// Run it as a `Service` in the application's `ServiceGroup` so that it closes its connections on shutdown.
public final class RedisClient: Sendable, Service {
    private enum Route {
        case server(RedisNodeClient)
        case cluster(RedisCluster)
    }

    /// The server, or the cluster's seeds, this client talks to.
    public let configuration: RedisConfiguration
    /// Where the connections live.
    public let eventLoopGroup: any EventLoopGroup
    /// The event loop the connections live on, when the client was given one event loop rather than a group.
    public let eventLoop: (any EventLoop)?
    private let route: Route

    /// Creates a client; nothing connects until the first command.
    /// - Parameter sharing: for a cluster, another client of the same cluster whose slot map this one shares (its
    ///   connections stay its own), so that a process learns a failover once, not once per client.
    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        sharingMapWith sharing: RedisClient? = nil
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.eventLoop = eventLoopGroup as? any EventLoop
        if configuration.isCluster {
            var topology: RedisClusterTopology?
            if case .cluster(let other)? = sharing?.route, other.configuration.clusterSeeds == configuration.clusterSeeds {
                topology = other.topology
            }
            self.route = .cluster(RedisCluster(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger, topology: topology))
        } else {
            self.route = .server(RedisNodeClient(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger))
        }
    }

    /// Sends one command, connecting first if needed.
    public func send(_ args: [RedisArgument], timeout: Duration? = nil) async throws(RedisError) -> RESPValue {
        switch self.route {
        case .server(let node):
            return try await node.send(args, timeout: timeout)
        case .cluster(let cluster):
            do {
                return try await cluster.submit(args, timeout: timeout, on: self.eventLoopGroup.any()).get()
            } catch {
                throw RedisError(error)
            }
        }
    }

    /// ``send(_:timeout:)`` without a task when the connection is open, for code running on an event loop; the
    /// future completes on the connection's event loop (on `eventLoop` while connecting).
    public func submit(_ args: [RedisArgument], on eventLoop: any EventLoop) -> EventLoopFuture<RESPValue> {
        switch self.route {
        case .server(let node): return node.submit(args, on: eventLoop)
        case .cluster(let cluster): return cluster.submit(args, timeout: nil, on: eventLoop)
        }
    }

    /// Sends `commands` back to back on one connection, with no other caller's command between them (on a cluster, to
    /// the node serving the last command's slot, all of them again after a redirect), and answers the last one's
    /// reply; the earlier ones' replies are dropped.
    public func submit(sequence commands: [[RedisArgument]], on eventLoop: any EventLoop) -> EventLoopFuture<RESPValue> {
        precondition(!commands.isEmpty, "a sequence holds at least one command")
        switch self.route {
        case .server(let node): return node.withConnection(on: eventLoop) { $0.submit(last: commands, asking: false) }
        case .cluster(let cluster): return cluster.submit(sequence: commands, timeout: nil, on: eventLoop)
        }
    }

    /// Sends `args` to every primary (the one server, or each primary of the cluster) and answers their replies in
    /// the order of ``primaries()``: for commands about servers rather than keys (`PING`, `INFO`).
    public func sendToEveryPrimary(_ args: [RedisArgument], timeout: Duration? = nil) async throws(RedisError) -> [RESPValue] {
        switch self.route {
        case .server(let node):
            return [try await node.send(args, timeout: timeout)]
        case .cluster(let cluster):
            let primaries = try await cluster.primaries()
            do {
                return try await withThrowingTaskGroup(of: (Int, RESPValue).self) { group in
                    for (index, address) in primaries.enumerated() {
                        group.addTask { (index, try await self.sendToPrimary(address, args, timeout: timeout)) }
                    }
                    var replies = [RESPValue](repeating: .null, count: primaries.count)
                    for try await (index, reply) in group { replies[index] = reply }
                    return replies
                }
            } catch {
                throw RedisError(error)
            }
        }
    }

    /// Sends `args` to the primary at `address` (the one server's address for a server).
    func sendToPrimary(_ address: RedisNodeAddress, _ args: [RedisArgument], timeout: Duration?) async throws(RedisError) -> RESPValue {
        switch self.route {
        case .server(let node):
            return try await node.send(args, timeout: timeout)
        case .cluster(let cluster):
            do {
                return try await cluster.node(address).send(args, timeout: timeout)
            } catch {
                cluster.topology.noteFailure(error)
                throw error
            }
        }
    }

    /// The servers ``sendToEveryPrimary(_:timeout:)`` reaches: the one server, or the cluster's primaries as last
    /// learned (learned first when none is known).
    public func primaries() async throws(RedisError) -> [RedisNodeAddress] {
        switch self.route {
        case .server(let node): return [node.address]
        case .cluster(let cluster): return try await cluster.primaries()
        }
    }

    /// The cluster's slot map as last learned; `nil` for one server.
    public var clusterMap: RedisClusterMap? {
        if case .cluster(let cluster) = self.route { return cluster.map }
        return nil
    }

    /// Runs `calls` pipelined, confirmed by `WAIT` on each connection that carried some (see
    /// ``submitScripts(_:on:replicas:timeout:)``).
    func replicatedRoute(
        _ calls: [RedisScriptCall], on eventLoop: any EventLoop, replicas: Int, timeout: Duration
    ) -> EventLoopFuture<[Result<RESPValue, RedisError>]> {
        switch self.route {
        case .server(let node):
            return node.withConnection(on: eventLoop) { connection in
                Self.replicated(calls, asking: false, on: connection, eventLoop: eventLoop, replicas: replicas, timeout: timeout)
            }
        case .cluster(let cluster):
            return cluster.submitScripts(calls, on: eventLoop, replicas: replicas, timeout: timeout)
        }
    }

    /// Closes the connections; every later command fails with ``RedisError/shutDown``.
    public func shutdown() {
        switch self.route {
        case .server(let node): node.shutdown()
        case .cluster(let cluster): cluster.shutdown()
        }
    }

    /// Waits for graceful shutdown, then closes the connections.
    public func run() async throws {
        try? await gracefulShutdown()
        self.shutdown()
    }
}
