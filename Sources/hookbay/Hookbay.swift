import ArgumentParser
import Foundation
import Hookbay
import HookbayJSON
import HookbayRedis
import Hummingbird
import Logging
import Metrics
import ServiceLifecycle

@main
struct HookbayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hookbay",
        abstract: "Webhook ingestion gateway: verify, rate-limit, de-duplicate and durably queue signed webhooks.",
        subcommands: [Serve.self, Worker.self, DLQ.self, Check.self, Plugins.self, Sign.self],
        defaultSubcommand: Serve.self
    )
}

/// Options every command that reads the config directory takes.
struct ConfigOptions: ParsableArguments {
    @Option(name: .customLong("config-dir"), help: "Directory of platform YAML files (env HOOKBAY_CONFIG_DIR; default platforms.d).")
    var configDir: String?

    @Option(name: .customLong("plugin-dir"), help: "Directory searched for adapter plugins (.so) before the executable's own (env HOOKBAY_PLUGIN_DIR).")
    var pluginDir: String?

    var resolvedConfigDir: String {
        configDir ?? ProcessInfo.processInfo.environment["HOOKBAY_CONFIG_DIR"] ?? "platforms.d"
    }

    var resolvedPluginDir: String? {
        pluginDir ?? ProcessInfo.processInfo.environment["HOOKBAY_PLUGIN_DIR"]
    }

    var loader: PlatformLoader {
        PlatformLoader(
            environment: ProcessInfo.processInfo.environment,
            pluginDirectories: PlatformLoader.searchDirectories(pluginDirectory: resolvedPluginDir)
        )
    }
}

/// Options of every command that talks to the queue and the database.
struct QueueOptions: ParsableArguments {
    @Option(name: .customLong("redis-url"), help: "redis://[:password@]host:port[/db] (env REDIS_URL). Without it, an embedded, NON-durable in-process queue is used.")
    var redisURL: String?

    @Option(help: "SQLite content database (env HOOKBAY_DATABASE; default hookbay.sqlite).")
    var database: String?

    @Option(name: .customLong("consumer-name"), help: "Consumer name prefix of this process's workers, stable across restarts (env HOOKBAY_CONSUMER_NAME; default the host name). Worker i is <name>-<i>.")
    var consumerName: String?

    @Option(name: .customLong("claim-idle"), help: "Seconds after which a crashed consumer's entries are taken over (env HOOKBAY_CLAIM_IDLE; default 60).")
    var claimIdle: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env LOG_LEVEL; default info).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text or json: one JSON object per line (env LOG_FORMAT; default text).")
    var logFormat: String?

    func makeLogger() throws -> Logger {
        let env = ProcessInfo.processInfo.environment
        return try bootstrapLogger(level: logLevel ?? env["LOG_LEVEL"], format: logFormat ?? env["LOG_FORMAT"])
    }

    func apply(to configuration: inout GatewayConfiguration, environment env: [String: String]) throws {
        configuration.redisURL = redisURL ?? env["REDIS_URL"]
        configuration.databasePath = database ?? env["HOOKBAY_DATABASE"] ?? configuration.databasePath
        configuration.consumerName = consumerName ?? env["HOOKBAY_CONSUMER_NAME"] ?? configuration.consumerName
        let idle = try claimIdle ?? env["HOOKBAY_CLAIM_IDLE"].map { try parseInt($0, "HOOKBAY_CLAIM_IDLE") } ?? 60
        guard idle > 0 else { throw ValidationError("--claim-idle must be positive") }
        configuration.claimIdle = .seconds(idle)
        configuration.adminToken = env["HOOKBAY_ADMIN_TOKEN"]
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP gateway, with workers beside it.")

    @Option(help: "Address to listen on (env HOOKBAY_HOST; default 0.0.0.0).")
    var host: String?

    @Option(help: "Port to listen on (env HOOKBAY_PORT; default 8080).")
    var port: Int?

    @OptionGroup var config: ConfigOptions
    @OptionGroup var queue: QueueOptions

    @Option(name: .customLong("max-body-bytes"), help: "Largest webhook body accepted, in bytes (env HOOKBAY_MAX_BODY_BYTES; default 1048576).")
    var maxBodyBytes: Int?

    @Option(help: "Workers processing the queue in this process (env HOOKBAY_WORKERS; default 4).")
    var workers: Int?

    @Option(name: .customLong("idle-timeout"), help: "Seconds after which a connection without traffic is closed (env HOOKBAY_IDLE_TIMEOUT; default 30).")
    var idleTimeout: Int?

    @Option(name: .customLong("request-timeout"), help: "Seconds within which a request's body must arrive in full after its head, else the connection is closed (env HOOKBAY_REQUEST_TIMEOUT; default 30).")
    var requestTimeout: Int?

    @Option(name: .customLong("max-connections"), help: "Connections served at once; more are answered 503 and closed (env HOOKBAY_MAX_CONNECTIONS; default 4096).")
    var maxConnections: Int?

    @Option(name: .customLong("max-buffered-bytes"), help: "Bytes of request bodies held at once across all connections; past it deliveries are answered 503 (env HOOKBAY_MAX_BUFFERED_BYTES; default 268435456).")
    var maxBufferedBytes: Int?

    @Flag(name: .customLong("no-workers"), help: "Only receive; leave processing to `hookbay worker` processes.")
    var noWorkers = false

    @Option(name: .customLong("reload-interval"), help: "Seconds between checks of the config directory for changes; 0 turns polling off (SIGHUP and POST /api/v1/admin/reload still reload). Env HOOKBAY_RELOAD_INTERVAL; default 1.")
    var reloadInterval: Double?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let logger = try queue.makeLogger()
        var configuration = GatewayConfiguration()
        configuration.host = host ?? env["HOOKBAY_HOST"] ?? configuration.host
        configuration.port = try port ?? env["HOOKBAY_PORT"].map { try parseInt($0, "HOOKBAY_PORT") } ?? configuration.port
        configuration.configDirectory = config.resolvedConfigDir
        configuration.pluginDirectory = config.resolvedPluginDir
        try queue.apply(to: &configuration, environment: env)
        configuration.maxBodyBytes = try maxBodyBytes ?? env["HOOKBAY_MAX_BODY_BYTES"].map { try parseInt($0, "HOOKBAY_MAX_BODY_BYTES") } ?? configuration.maxBodyBytes
        configuration.workers = noWorkers ? 0 : try workers ?? env["HOOKBAY_WORKERS"].map { try parseInt($0, "HOOKBAY_WORKERS") } ?? configuration.workers
        guard configuration.maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive") }
        configuration.maxConnections = try maxConnections ?? env["HOOKBAY_MAX_CONNECTIONS"].map { try parseInt($0, "HOOKBAY_MAX_CONNECTIONS") } ?? configuration.maxConnections
        guard configuration.maxConnections > 0 else { throw ValidationError("--max-connections must be positive") }
        configuration.maxBufferedBytes = try maxBufferedBytes ?? env["HOOKBAY_MAX_BUFFERED_BYTES"].map { try parseInt($0, "HOOKBAY_MAX_BUFFERED_BYTES") } ?? configuration.maxBufferedBytes
        guard configuration.maxBufferedBytes >= configuration.maxBodyBytes else {
            throw ValidationError("--max-buffered-bytes must be at least --max-body-bytes (\(configuration.maxBodyBytes))")
        }
        guard (0...65535).contains(configuration.port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard configuration.workers >= 0 else { throw ValidationError("--workers must not be negative") }
        let interval = try reloadInterval ?? env["HOOKBAY_RELOAD_INTERVAL"].map { text in
            guard let value = Double(text) else { throw ValidationError("HOOKBAY_RELOAD_INTERVAL must be a number of seconds") }
            return value
        } ?? 1
        guard interval >= 0 else { throw ValidationError("--reload-interval must not be negative") }
        let idle = try idleTimeout ?? env["HOOKBAY_IDLE_TIMEOUT"].map { try parseInt($0, "HOOKBAY_IDLE_TIMEOUT") } ?? 30
        guard idle > 0 else { throw ValidationError("--idle-timeout must be positive") }
        configuration.idleTimeout = .seconds(idle)
        let requestSeconds = try requestTimeout ?? env["HOOKBAY_REQUEST_TIMEOUT"].map { try parseInt($0, "HOOKBAY_REQUEST_TIMEOUT") } ?? 30
        guard requestSeconds > 0 else { throw ValidationError("--request-timeout must be positive") }
        configuration.requestTimeout = .seconds(requestSeconds)
        configuration.reloadInterval = .milliseconds(Int64(interval * 1000))
        let (application, gateway) = try buildApplication(configuration: configuration, environment: env, logger: logger)
        // Library metrics (the HTTP server's, for one) land in the same registry /metrics renders.
        MetricsSystem.bootstrap(gateway.metrics.metricsFactory)
        try await application.runService()
    }
}

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run workers only: process the queue of every loaded platform into the database (scale out across processes and machines sharing one Redis)."
    )

    @OptionGroup var config: ConfigOptions
    @OptionGroup var queue: QueueOptions

    @Option(help: "Workers in this process (env HOOKBAY_WORKERS; default 4).")
    var workers: Int?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let logger = try queue.makeLogger()
        var configuration = GatewayConfiguration()
        configuration.configDirectory = config.resolvedConfigDir
        configuration.pluginDirectory = config.resolvedPluginDir
        try queue.apply(to: &configuration, environment: env)
        configuration.workers = try workers ?? env["HOOKBAY_WORKERS"].map { try parseInt($0, "HOOKBAY_WORKERS") } ?? configuration.workers
        guard configuration.workers > 0 else { throw ValidationError("--workers must be at least 1") }
        let gateway = try Gateway(configuration: configuration, environment: env, logger: logger)
        try await gateway.requireSupportedQueue(logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: gateway.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        try await group.run()
    }
}

struct DLQ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "List, replay or purge a platform's dead-letter queue in Redis.",
        subcommands: [List.self, Replay.self, Purge.self]
    )

    struct Target: ParsableArguments {
        @OptionGroup var config: ConfigOptions
        @OptionGroup var queue: QueueOptions

        @Option(help: "The platform id.")
        var platform: String

        func connect() throws -> (RedisWebhookQueue, RedisClient) {
            guard PlatformConfigLoader.isValidID(platform) else { throw ValidationError("'\(platform)' is not a valid platform id") }
            var configuration = GatewayConfiguration()
            try queue.apply(to: &configuration, environment: ProcessInfo.processInfo.environment)
            guard let url = configuration.redisURL else {
                throw ValidationError("dlq needs --redis-url or REDIS_URL (the embedded queue lives inside its `hookbay serve`: use its admin API)")
            }
            var logger = Logger(label: "hookbay")
            logger.logLevel = .error
            let client = RedisClient(configuration: try RedisConfiguration(url: url), logger: logger)
            return (RedisWebhookQueue(client: client), client)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print dead-letter entries as JSON lines.")
        @OptionGroup var target: Target
        @Option(help: "Entries to print at most (default 100).") var count: Int = 100
        @Option(help: "Start after this entry id.") var after: String?

        func run() async throws {
            let (queue, client) = try target.connect()
            defer { client.shutdown() }
            for entry in try await queue.deadLetters(platform: target.platform, after: after, count: count) {
                print(String(decoding: CanonicalJSON.encode(DeadLetterRoutes.json(entry)), as: UTF8.self))
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move entries (all, without --id) back to the platform's stream.")
        @OptionGroup var target: Target
        @Option(name: .customLong("id"), help: "A dead-letter entry id; repeat for several.") var ids: [String] = []

        func run() async throws {
            let (queue, client) = try target.connect()
            defer { client.shutdown() }
            let result = try await queue.replayDeadLetters(platform: target.platform, ids: ids.isEmpty ? nil : ids)
            print("replayed \(result.replayed)")
            for id in result.missing { print("not found: \(id)") }
            if !result.missing.isEmpty { throw ExitCode(1) }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete the given dead-letter entries.")
        @OptionGroup var target: Target
        @Option(name: .customLong("id"), help: "A dead-letter entry id; repeat for several.") var ids: [String]

        func validate() throws {
            if ids.isEmpty { throw ValidationError("name at least one --id to purge") }
        }

        func run() async throws {
            let (queue, client) = try target.connect()
            defer { client.shutdown() }
            print("purged \(try await queue.purgeDeadLetters(platform: target.platform, ids: ids))")
        }
    }
}

struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the headers a platform would send for a body, signed with its secret as the server reads it (for testing with curl)."
    )

    @OptionGroup var config: ConfigOptions

    @Option(help: "The platform id.")
    var platform: String

    @Option(help: "File holding the body; standard input when absent.")
    var file: String?

    @Flag(help: "Print a ready curl command instead of the headers.")
    var curl = false

    @Option(help: "Base URL for --curl (default http://localhost:8080).")
    var url: String = "http://localhost:8080"

    func run() throws {
        let report = try PlatformConfigLoader().load(directory: config.resolvedConfigDir)
        guard let platform = report.platforms[platform] else {
            let reason = report.problems.filter { $0.file.hasPrefix(platform) }.map(\.description).joined(separator: "; ")
            throw ValidationError("platform '\(self.platform)' is not loaded from \(config.resolvedConfigDir)\(reason.isEmpty ? "" : ": \(reason)")")
        }
        let body: [UInt8]
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            body = Array(data)
        } else {
            body = Array(FileHandle.standardInput.readDataToEndOfFile())
        }
        let verifier = SignatureVerifier(signature: platform.signature, secrets: platform.secrets)
        let headers = verifier.headers(for: body, now: WallClock.milliseconds() / 1000,
                                       deliveryID: "msg_\(UInt64.random(in: 0...UInt64.max))")
        if curl {
            let flags = headers.map { "-H '\($0.0): \($0.1)'" }.joined(separator: " ")
            print("curl -i \(url)/api/v1/webhooks/\(platform.id) -H 'Content-Type: application/json' \(flags) --data-binary @\(file ?? "-")")
        } else {
            for (name, value) in headers { print("\(name): \(value)") }
        }
    }
}

func parseInt(_ text: String, _ name: String) throws -> Int {
    guard let value = Int(text) else { throw ValidationError("\(name) must be a whole number, not '\(text)'") }
    return value
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load every platform file and print each problem; exit non-zero when there is any."
    )

    @OptionGroup var config: ConfigOptions

    func run() throws {
        let report: PlatformLoader.Result
        do {
            report = try config.loader.load(directory: config.resolvedConfigDir)
        } catch {
            print("error: \(error)")
            throw ExitCode(2)
        }
        for platform in report.platforms.values.sorted(by: { $0.id < $1.id }) {
            let c = platform.config
            print("ok: \(c.sourceFile): platform \(c.id) (\(c.enabled ? "enabled" : "disabled"), adapter \(c.adapter) \(platform.adapter.plugin.version))")
        }
        for problem in report.problems {
            print("error: \(problem)")
        }
        for problem in report.catalog.problems {
            print("warning: plugin \(problem)")
        }
        print("\(report.platforms.count) platform(s) loaded, \(report.problems.count) problem(s)")
        if !report.problems.isEmpty { throw ExitCode(1) }
    }
}

struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the adapter plugins found: name, version, ABI version, path.")

    @OptionGroup var config: ConfigOptions

    @Option(help: "Also run validate+process this many times through each plugin on a sample event (a smoke test; run under valgrind to check for leaks).")
    var exercise: Int = 0

    func run() throws {
        let directories = PlatformLoader.searchDirectories(pluginDirectory: config.resolvedPluginDir)
        let catalog = PluginLoader.discover(directories: directories)
        print("searched: \(directories.joined(separator: ", "))")
        for plugin in catalog.all {
            print("\(plugin.name)\t\(plugin.version)\tabi \(plugin.abiVersion)\t\(plugin.path)")
            if exercise > 0 {
                let result = try PluginExercise.run(plugin: plugin, iterations: exercise)
                print("  \(exercise) × validate+process: \(result.updates) updates, \(result.nanosecondsPerCall) ns per validate+process")
            }
        }
        for problem in catalog.problems {
            print("refused: \(problem)")
        }
        if !catalog.problems.isEmpty { throw ExitCode(1) }
    }
}

func bootstrapLogger(level: String?, format: String?) throws -> Logger {
    let logLevel: Logger.Level
    if let level {
        guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
            throw ValidationError("unknown log level '\(level)'")
        }
        logLevel = parsed
    } else {
        logLevel = .info
    }
    switch format?.lowercased() ?? "text" {
    case "text": LoggingSystem.bootstrap(StreamLogHandler.standardError)
    case "json": LoggingSystem.bootstrap(JSONLogHandler.init)
    default: throw ValidationError("--log-format must be text or json, not '\(format ?? "")'")
    }
    var logger = Logger(label: "hookbay")
    logger.logLevel = logLevel
    return logger
}
