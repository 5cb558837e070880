import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One pipelined connection to one Redis server, opened on first use and again after it drops.
///
/// Commands never block an event loop: they are written to a SwiftNIO channel and their replies awaited. When the
/// connection drops (Redis restarted, network cut) the commands in flight fail with a ``RedisError`` and the next
/// command connects again. After a failed connect, commands fail fast for ``RedisConfiguration/reconnectBackoff``
/// so that a dead Redis answers callers at once instead of piling up connection attempts.
///
/// ``RedisClient`` holds one for a server, and one per node for a cluster.
final class RedisNodeClient: Sendable {
    private enum State {
        case idle(lastFailure: (at: ContinuousClock.Instant, error: RedisError)?)
        case connecting(EventLoopFuture<RedisConnection>)
        case connected(RedisConnection)
        case shutDown
    }

    /// The server this client talks to.
    let configuration: RedisConfiguration
    /// Where the connection lives.
    let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex<State>(.idle(lastFailure: nil))

    /// Creates a client; nothing connects until the first command.
    init(configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// The server's address.
    var address: RedisNodeAddress { RedisNodeAddress(host: self.configuration.host, port: self.configuration.port) }

    /// Sends one command, connecting first if needed.
    func send(_ args: [RedisArgument], timeout: Duration? = nil) async throws(RedisError) -> RESPValue {
        let connection = try await self.connection()
        return try await connection.send(args, timeout: timeout)
    }

    /// ``send(_:timeout:)`` without a task when the connection is open, for code running on an event loop; the
    /// future completes on the connection's event loop (on `eventLoop` while connecting).
    func submit(_ args: [RedisArgument], timeout: Duration? = nil, on eventLoop: any EventLoop) -> EventLoopFuture<RESPValue> {
        self.withConnection(on: eventLoop) { $0.submit(args, timeout: timeout) }
    }

    /// Runs `body` on the open connection without a task, or on a new one once it is connected.
    func withConnection<Value: Sendable>(
        on eventLoop: any EventLoop, _ body: @escaping @Sendable (RedisConnection) -> EventLoopFuture<Value>
    ) -> EventLoopFuture<Value> {
        let open: RedisConnection? = self.state.withLock { state in
            if case .connected(let connection) = state, connection.isActive { return connection }
            return nil
        }
        if let open { return body(open) }
        return eventLoop.makeFutureWithTask { try await self.connection() }.flatMap(body)
    }

    /// The open connection, or a new one once it is connected; a failure here means nothing was sent.
    func connectionFuture(on eventLoop: any EventLoop) -> EventLoopFuture<RedisConnection> {
        self.withConnection(on: eventLoop) { connection in connection.channel.eventLoop.makeSucceededFuture(connection) }
    }

    /// The open connection, or a new one.
    func connection() async throws(RedisError) -> RedisConnection {
        enum Next {
            case use(RedisConnection)
            case wait(EventLoopFuture<RedisConnection>)
            case fail(RedisError)
            case start(EventLoopPromise<RedisConnection>)
        }
        let next: Next = self.state.withLock { state in
            switch state {
            case .connected(let connection) where connection.isActive:
                return .use(connection)
            case .connected:
                // Closed, and its close callback has not run yet: connect again now.
                let promise = self.eventLoopGroup.any().makePromise(of: RedisConnection.self)
                state = .connecting(promise.futureResult)
                return .start(promise)
            case .connecting(let future):
                return .wait(future)
            case .shutDown:
                return .fail(.shutDown)
            case .idle(let lastFailure):
                if let lastFailure, ContinuousClock.now - lastFailure.at < self.configuration.reconnectBackoff {
                    return .fail(lastFailure.error)
                }
                let promise = self.eventLoopGroup.any().makePromise(of: RedisConnection.self)
                state = .connecting(promise.futureResult)
                return .start(promise)
            }
        }
        switch next {
        case .use(let connection):
            return connection
        case .fail(let error):
            throw error
        case .wait(let future):
            do {
                return try await future.get()
            } catch let error as RedisError {
                throw error
            } catch {
                throw .connectionFailed(String(describing: error))
            }
        case .start(let promise):
            do throws(RedisError) {
                let connection = try await RedisConnection.connect(to: self.configuration, on: self.eventLoopGroup)
                let keep = self.state.withLock { state -> Bool in
                    if case .shutDown = state { return false }
                    state = .connected(connection)
                    return true
                }
                guard keep else {
                    connection.close()
                    promise.fail(RedisError.shutDown)
                    throw .shutDown
                }
                connection.closeFuture.whenComplete { _ in self.connectionClosed(connection) }
                self.logger.info("connected to Redis", metadata: ["redis": .string(self.configuration.displayAddress)])
                promise.succeed(connection)
                return connection
            } catch {
                self.state.withLock { state in
                    if case .shutDown = state { return }
                    state = .idle(lastFailure: (ContinuousClock.now, error))
                }
                self.logger.warning(
                    "cannot connect to Redis",
                    metadata: ["redis": .string(self.configuration.displayAddress), "error": .string(error.description)]
                )
                promise.fail(error)
                throw error
            }
        }
    }

    private func connectionClosed(_ connection: RedisConnection) {
        let wasCurrent = self.state.withLock { state -> Bool in
            guard case .connected(let current) = state, current.channel === connection.channel else { return false }
            state = .idle(lastFailure: nil)
            return true
        }
        if wasCurrent {
            self.logger.warning(
                "Redis connection closed; the next command reconnects",
                metadata: ["redis": .string(self.configuration.displayAddress)])
        }
    }

    /// Closes the connection; every later command fails with ``RedisError/shutDown``.
    func shutdown() {
        let previous = self.state.withLock { state -> State in
            let previous = state
            state = .shutDown
            return previous
        }
        switch previous {
        case .connected(let connection): connection.close()
        case .connecting(let future): future.whenSuccess { $0.close() }
        case .idle, .shutDown: break
        }
    }
}
