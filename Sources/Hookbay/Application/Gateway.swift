import Foundation
import HookbayRedis
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Why the gateway could not start.
public struct GatewayStartupError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The parts of a running gateway, built once by ``buildApplication(configuration:environment:logger:)`` and shared
/// with tests so that what is tested is what runs.
public struct Gateway: Sendable {
    public let configuration: GatewayConfiguration
    public let platforms: PlatformRegistry
    public let queue: any WebhookQueue
    public let metrics: WebhookMetrics
    public let receiver: WebhookReceiver
    /// Problems found in the config directory at start-up (those platforms do not serve).
    public let configProblems: [ConfigProblem]
    /// The adapter plugins found.
    public let plugins: PluginCatalog
    /// The content database.
    public let store: any ContentStore
    /// Applies config directory changes while running.
    public let reloader: ConfigReloader
    /// This process's workers (none with `workers: 0`).
    public let workers: [QueueWorker]
    /// Long-running parts to run in the application's `ServiceGroup`.
    public let services: [any Service]
    /// What clients may make this process hold: connections, and delivery bodies (inflated ones too).
    public let limits: ReceiveLimits

    /// Loads the platforms and connects the queue (lazily: a Redis that is down makes requests answer 503, not
    /// start-up fail).
    public init(configuration: GatewayConfiguration, environment: [String: String], logger: Logger) throws {
        let report: PlatformLoader.Result
        let loader = PlatformLoader(configuration: configuration, environment: environment)
        do {
            report = try loader.load(directory: configuration.configDirectory)
        } catch {
            throw GatewayStartupError(error.description)
        }
        for plugin in report.catalog.all {
            logger.info(
                "adapter plugin loaded",
                metadata: [
                    "adapter": .string(plugin.name), "version": .string(plugin.version), "path": .string(plugin.path),
                ])
        }
        for problem in report.catalog.problems {
            logger.error("adapter plugin refused", metadata: ["problem": .string(problem.description)])
        }
        for notice in report.notices {
            logger.notice("platform loaded without its secret", metadata: ["notice": .string(notice)])
        }
        for problem in report.problems {
            logger.error("platform file refused", metadata: ["file": .string(problem.file), "problem": .string(problem.description)])
        }
        var services: [any Service] = []
        let queue: any WebhookQueue
        if let url = configuration.redisURL, !url.isEmpty {
            let redisConfiguration: RedisConfiguration
            do {
                redisConfiguration = try RedisConfiguration(url: url)
            } catch {
                throw GatewayStartupError(error.description)
            }
            let client = RedisClient(configuration: redisConfiguration, logger: logger)
            // One more connection per event loop for the receive path, so a delivery never leaves its thread.
            let eventLoopClients = MultiThreadedEventLoopGroup.singleton.makeIterator().map { eventLoop in
                RedisClient(configuration: redisConfiguration, eventLoopGroup: eventLoop, logger: logger, sharingMapWith: client)
            }
            services.append(client)
            services.append(contentsOf: eventLoopClients as [any Service])
            queue = RedisWebhookQueue(
                client: client, eventLoopClients: eventLoopClients,
                replication: .init(replicas: configuration.redisWaitReplicas, timeout: configuration.redisWaitTimeout))
            logger.info("queue: Redis", metadata: ["redis": .string(redisConfiguration.displayAddress)])
        } else {
            queue = InMemoryWebhookQueue()
            logger.warning(
                """
                NO REDIS CONFIGURED: using the embedded in-process queue. Accepted events are NOT durable and are lost \
                when this process stops. Set --redis-url or REDIS_URL for production.
                """)
        }
        let store: any ContentStore
        switch configuration.database {
        case .sqlite(let path):
            do {
                store = try SQLiteContentStore(path: path)
            } catch {
                throw GatewayStartupError("cannot open the content database \(path): \(error)")
            }
        case .postgres(let location):
            // Connects when its service runs; the workers migrate the schema before their first batch.
            let postgres: PostgresContentStore
            do {
                postgres = try PostgresContentStore(location: location, poolSize: configuration.databasePoolSize, logger: logger)
            } catch {
                throw GatewayStartupError("cannot set up the content database \(location.displayAddress): \(error)")
            }
            services.append(postgres)
            store = postgres
        }
        logger.info("content database", metadata: ["database": .string(configuration.database.description)])
        self.configuration = configuration
        self.store = store
        let metrics = WebhookMetrics()
        metrics.recordPluginErrors(report.catalog.problems.count)
        self.platforms = PlatformRegistry(platforms: report.platforms, problems: report.problems)
        let rateLimiter = RateLimiter()
        self.reloader = ConfigReloader(
            directory: configuration.configDirectory, loader: loader, registry: self.platforms,
            interval: configuration.reloadInterval, metrics: metrics, served: { rateLimiter.retain(platforms: $0) }, logger: logger)
        self.queue = queue
        self.metrics = metrics
        self.limits = ReceiveLimits(maxConnections: configuration.maxConnections, maxBufferedBytes: configuration.maxBufferedBytes)
        self.receiver = WebhookReceiver(
            platforms: self.platforms, queue: queue, rateLimiter: rateLimiter, metrics: self.metrics,
            trustedProxies: configuration.trustedProxies, maxBodyBytes: configuration.maxBodyBytes, limits: self.limits)
        self.configProblems = report.problems
        self.plugins = report.catalog
        let platforms = self.platforms
        /// A consumer's settings and its queue: on Redis a connection of its own, so its reads (blocking ones among
        /// them) never hold up the receive path's pipeline.
        func consumer(_ name: String) -> (WorkerConfiguration, any WebhookQueue) {
            var consumerConfiguration = WorkerConfiguration(consumerName: name)
            consumerConfiguration.claimIdle = configuration.claimIdle
            consumerConfiguration.claimInterval = configuration.claimInterval
            guard let redis = queue as? RedisWebhookQueue else { return (consumerConfiguration, queue) }
            let client = RedisClient(configuration: redis.client.configuration, logger: logger, sharingMapWith: redis.client)
            services.append(client)
            return (consumerConfiguration, RedisWebhookQueue(client: client))
        }
        self.workers = (0..<max(0, configuration.workers)).map { index in
            let (workerConfiguration, workerQueue) = consumer("\(configuration.consumerName)-\(index)")
            let workerProcessor = EventProcessor(platforms: platforms, queue: workerQueue, store: store, metrics: metrics, logger: logger)
            return QueueWorker(configuration: workerConfiguration, queue: workerQueue, processor: workerProcessor, logger: logger)
        }
        // One forwarder per process that processes, beside its workers.
        var forwarders: [any Service] = []
        if !self.workers.isEmpty {
            let (forwardConfiguration, forwardQueue) = consumer("\(configuration.consumerName)-forward")
            forwarders.append(
                ForwardWorker(
                    configuration: forwardConfiguration, queue: forwardQueue, platforms: platforms,
                    policy: ForwardNetworkPolicy(allowed: configuration.forwardAllowNetworks), metrics: metrics.forward, logger: logger))
        }
        let monitor = QueueDepthMonitor(queue: queue, platforms: self.platforms, metrics: metrics, logger: logger)
        let retention: [any Service] = self.workers.isEmpty ? [] : [AppliedEventsRetention(store: store, platforms: self.platforms, logger: logger)]
        self.services = services + [self.reloader, monitor] + self.workers.map { $0 as any Service } + forwarders + retention
        logger.info(
            "platforms loaded",
            metadata: [
                "platforms": .string(self.platforms.all.map(\.id).joined(separator: ",")),
                "refused_files": .stringConvertible(report.problems.count),
            ])
    }
}

extension Gateway {
    /// Refuses to start against a Redis too old for the enqueue script, with a clear message; a Redis that cannot be
    /// reached now is only logged (requests answer 503 until it is back).
    public func requireSupportedQueue(logger: Logger) async throws {
        guard let redis = self.queue as? RedisWebhookQueue else {
            if self.configuration.redisWaitReplicas > 0 {
                logger.warning("--redis-wait-replicas has no effect on the embedded queue: it needs --redis-url")
            }
            return
        }
        let check = await redis.checkVersion()
        if let problem = RedisWebhookQueue.versionProblem(check) { throw GatewayStartupError(problem) }
        if case .unreachable(let reason) = check {
            logger.warning("cannot check the Redis version yet", metadata: ["error": .string(reason)])
        }
        let wanted = redis.replication.replicas
        if wanted > 0, let connected = try? await redis.connectedReplicas(), connected < wanted {
            logger.warning(
                "fewer Redis replicas are connected than --redis-wait-replicas asks for: deliveries are answered 503 until enough are",
                metadata: ["connected_replicas": .stringConvertible(connected), "wait_replicas": .stringConvertible(wanted)])
        }
    }

    /// The receive, metrics, stats, content and health routes.
    public var webhooks: WebhookRoutes {
        WebhookRoutes(
            receiver: self.receiver, store: self.store, maxBodyBytes: self.configuration.maxBodyBytes,
            authenticator: AdminAuthenticator(token: self.configuration.adminToken))
    }
}

/// Every HTTP route of the gateway (documented in `openapi.yaml`).
public func buildRouter(gateway: Gateway) -> Router<GatewayRequestContext> {
    let configuration = gateway.configuration
    let router = Router(context: GatewayRequestContext.self)
    gateway.webhooks.register(on: router)
    let authenticator = AdminAuthenticator(token: configuration.adminToken)
    DeadLetterRoutes(queue: gateway.queue, platforms: gateway.platforms, authenticator: authenticator).register(on: router)
    AdminRoutes(
        registry: gateway.platforms, reloader: gateway.reloader, authenticator: authenticator, refusals: gateway.receiver.recentRefusals
    ).register(on: router)
    ConsoleRoutes().register(on: router)
    return router
}

/// Builds the `hookbay serve` application: the gateway's routes on a Hummingbird server, with the gateway's services.
public func buildApplication(
    configuration: GatewayConfiguration,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    logger: Logger
) throws -> (application: some ApplicationProtocol, gateway: Gateway) {
    let gateway = try Gateway(configuration: configuration, environment: environment, logger: logger)
    let router = buildRouter(gateway: gateway)
    let webhooks = gateway.webhooks
    let reserved = GatewayHTTPChannel.reservedSegments(of: router)
    let limits = gateway.limits
    var application = Application(
        router: GatewayResponder(router: router),
        server: HTTPServerBuilder { responder in
            GatewayHTTPChannel(
                responder: responder, webhooks: webhooks, reserved: reserved, requestTimeout: TimeAmount(configuration.requestTimeout),
                idleTimeout: configuration.idleTimeout, serverName: "hookbay", limits: limits, logger: logger
            )
        },
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "hookbay"),
        services: gateway.services,
        logger: logger
    )
    application.beforeServerStarts {
        try await gateway.requireSupportedQueue(logger: logger)
        do {
            try await gateway.queue.prepare(platforms: gateway.platforms.all.map(\.id))
        } catch {
            // Not fatal: the enqueue script creates a missing group itself once the queue is back.
            logger.warning("cannot prepare the queue's streams yet", metadata: ["error": .string("\(error)")])
        }
    }
    return (application, gateway)
}

/// Builds the `hookbay worker` process: the same gateway as `serve` builds (platforms, queue, workers, reloader), its
/// services in one `ServiceGroup` draining on SIGTERM/SIGINT, without an HTTP server. Like `serve` before its server
/// starts, it refuses a Redis too old for the queue's scripts.
public func buildWorkerGroup(
    configuration: GatewayConfiguration,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    logger: Logger
) async throws -> (group: ServiceGroup, gateway: Gateway) {
    let gateway = try Gateway(configuration: configuration, environment: environment, logger: logger)
    try await gateway.requireSupportedQueue(logger: logger)
    let group = ServiceGroup(
        configuration: .init(
            services: gateway.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
    return (group, gateway)
}
