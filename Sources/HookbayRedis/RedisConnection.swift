import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One TCP connection to Redis carrying any number of pipelined commands at once.
///
/// Commands from many tasks go out in the order they are sent and their replies come back in that order, so a
/// single connection serves a whole server without serialising callers behind one another.
public struct RedisConnection: Sendable {
    let channel: any Channel
    let commandTimeout: Duration
    private let outbox: Outbox

    init(channel: any Channel, commandTimeout: Duration) {
        self.channel = channel
        self.commandTimeout = commandTimeout
        self.outbox = Outbox(channel: channel)
    }

    /// Connects, then authenticates and selects the database the configuration names.
    public static func connect(
        to configuration: RedisConfiguration,
        on eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(RedisError) -> RedisConnection {
        let checkInterval = TimeAmount(min(configuration.commandTimeout / 4, .milliseconds(250)))
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RedisChannelHandler(checkInterval: checkInterval))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            throw .connectionFailed("\(configuration.host):\(configuration.port): \(error)")
        }
        let connection = RedisConnection(channel: channel, commandTimeout: configuration.commandTimeout)
        do {
            if let password = configuration.password {
                var auth: [RedisArgument] = ["AUTH"]
                if let user = configuration.username { auth.append(.string(user)) }
                auth.append(.string(password))
                _ = try await connection.send(auth, timeout: configuration.connectTimeout)
            }
            if configuration.database != 0 {
                _ = try await connection.send(["SELECT", .integer(configuration.database)], timeout: configuration.connectTimeout)
            }
        } catch {
            connection.close()
            throw .connectionFailed("hand-shake with \(configuration.displayAddress) failed: \(error)")
        }
        return connection
    }

    /// Sends one command and waits for its reply; an error reply is thrown as ``RedisError/server(_:)``.
    /// - Parameters:
    ///   - args: the command and its arguments, e.g. `["XLEN", "mystream"]`.
    ///   - timeout: how long to wait for the reply; defaults to the configuration's command timeout. A blocking
    ///     command (`XREADGROUP ... BLOCK ms`) should pass its block time plus a margin.
    public func send(_ args: [RedisArgument], timeout: Duration? = nil) async throws(RedisError) -> RESPValue {
        do {
            return try await self.submit(args, timeout: timeout).get()
        } catch {
            throw RedisError(error)
        }
    }

    /// ``send(_:timeout:)`` without a task, for code running on an event loop: the future completes on the
    /// connection's event loop, failing with a ``RedisError`` (an error reply as ``RedisError/server(_:)``).
    public func submit(_ args: [RedisArgument], timeout: Duration? = nil) -> EventLoopFuture<RESPValue> {
        let bytes = ByteBuffer.redisCommand(args, allocator: self.channel.allocator)
        let promise = self.channel.eventLoop.makePromise(of: RESPValue.self)
        self.outbox.send(RedisRequest(bytes: bytes, promise: promise, deadline: .now() + TimeAmount(timeout ?? self.commandTimeout)))
        return promise.futureResult
    }

    /// Sends `commands` back to back, with no other caller's command between them (`ASKING` and the command it
    /// covers); one future per command, in order.
    func submit(sequence commands: [[RedisArgument]], timeout: Duration? = nil) -> [EventLoopFuture<RESPValue>] {
        let deadline = NIODeadline.now() + TimeAmount(timeout ?? self.commandTimeout)
        let requests = commands.map { args in
            RedisRequest(
                bytes: ByteBuffer.redisCommand(args, allocator: self.channel.allocator),
                promise: self.channel.eventLoop.makePromise(of: RESPValue.self), deadline: deadline)
        }
        self.outbox.send(requests)
        return requests.map(\.promise.futureResult)
    }

    /// ``submit(sequence:timeout:)``, each command preceded by `ASKING` when `asking` (a cluster node's `ASK` covers one
    /// command); answers the last command's reply.
    func submit(last commands: [[RedisArgument]], asking: Bool, timeout: Duration? = nil) -> EventLoopFuture<RESPValue> {
        if commands.count == 1 && !asking { return self.submit(commands[0], timeout: timeout) }
        return self.submit(sequence: asking ? commands.flatMap { [["ASKING"], $0] } : commands, timeout: timeout).last!
    }

    /// Whether the connection is still open.
    public var isActive: Bool { self.channel.isActive }

    /// Closes the connection; commands still waiting fail with ``RedisError/connectionClosed``.
    public func close() {
        self.channel.close(promise: nil)
    }

    /// Completes when the connection has closed, for whatever reason.
    var closeFuture: EventLoopFuture<Void> { self.channel.closeFuture }
}

/// Commands sent from any thread, written to the channel in batches: one event-loop task and one flush (one write
/// system call) for all the commands that arrived since the last one, instead of one of each per command. Under load
/// this pipelines the commands of many concurrent requests; alone, a command goes out at once.
private final class Outbox: Sendable {
    private struct State {
        var requests: [RedisRequest] = []
        var scheduled = false
    }

    private let channel: any Channel
    private let state = Mutex(State())

    init(channel: any Channel) {
        self.channel = channel
    }

    func send(_ request: RedisRequest) {
        self.send(CollectionOfOne(request))
    }

    /// Queues `requests` together, in order.
    func send(_ requests: some Collection<RedisRequest>) {
        let schedule = self.state.withLock { state in
            state.requests.append(contentsOf: requests)
            defer { state.scheduled = true }
            return !state.scheduled
        }
        guard schedule else { return }
        self.channel.eventLoop.execute { self.drain() }
    }

    private func drain() {
        let requests = self.state.withLock { state in
            state.scheduled = false
            defer { state.requests = [] }
            return state.requests
        }
        for request in requests {
            self.channel.write(request).cascadeFailure(to: request.promise)
        }
        self.channel.flush()
    }
}
