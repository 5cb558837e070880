import Logging

/// Every setting of the `hookbay` commands, in one table: flag, environment variable, meaning, and the check a value
/// must pass. Defaults come from ``GatewayConfiguration``. A command reads the settings it offers with
/// ``configuration(_:flags:environment:)``: the flag when given, else the environment variable, else the default.
public enum GatewaySettings {
    // MARK: Serving HTTP
    public static let host = GatewaySetting.text("host", "HOOKBAY_HOST", "Address to listen on.", \.host)
    public static let port = GatewaySetting.integer("port", "HOOKBAY_PORT", "Port to listen on; 0 picks a free port.", \.port, in: 0...65_535)
    public static let maxBodyBytes = GatewaySetting.integer(
        "max-body-bytes", "HOOKBAY_MAX_BODY_BYTES", "Largest webhook body accepted, in bytes; larger ones are answered 413.",
        \.maxBodyBytes, in: 1...(1 << 30))
    public static let idleTimeout = GatewaySetting.seconds(
        "idle-timeout", "HOOKBAY_IDLE_TIMEOUT", "Seconds after which a connection without traffic is closed.",
        \.idleTimeout, in: 1...31_536_000)
    public static let requestTimeout = GatewaySetting.seconds(
        "request-timeout", "HOOKBAY_REQUEST_TIMEOUT",
        "Seconds within which a request's body must arrive in full after its head, else the connection is closed.",
        \.requestTimeout, in: 1...31_536_000)
    public static let maxConnections = GatewaySetting.integer(
        "max-connections", "HOOKBAY_MAX_CONNECTIONS", "Connections served at once; more are answered 503 and closed.",
        \.maxConnections, in: 1...1_000_000)
    public static let maxBufferedBytes = GatewaySetting.integer(
        "max-buffered-bytes", "HOOKBAY_MAX_BUFFERED_BYTES",
        "Bytes of request bodies held at once across all connections; past it deliveries are answered 503 (at least --max-body-bytes).",
        \.maxBufferedBytes, in: 1...(1 << 40))
    public static let reloadInterval = GatewaySetting.seconds(
        "reload-interval", "HOOKBAY_RELOAD_INTERVAL",
        "Seconds between checks of the config directory for changes; 0 turns polling off (SIGHUP and POST /api/v1/admin/reload still reload).",
        \.reloadInterval, in: 0...86_400, fractional: true)
    public static let adminToken = GatewaySetting.optionalText(
        nil, "HOOKBAY_ADMIN_TOKEN", "Bearer token of the admin endpoints; unset, they answer 403.", \.adminToken)

    // MARK: Platforms and plugins
    public static let configDirectory = GatewaySetting.text(
        "config-dir", "HOOKBAY_CONFIG_DIR", "Directory of platform YAML files.", \.configDirectory)
    public static let pluginDirectory = GatewaySetting.optionalText(
        "plugin-dir", "HOOKBAY_PLUGIN_DIR", "Directory searched for adapter plugins (.so) before the executable's own.", \.pluginDirectory)

    // MARK: Queue, workers and database
    public static let redisURL = GatewaySetting.optionalText(
        "redis-url", "REDIS_URL",
        "redis://[:password@]host:port[/db], or redis+cluster://host:port[,host:port...] for a Redis Cluster (its seed nodes). Without it, an embedded, NON-durable in-process queue is used.",
        \.redisURL)
    public static let redisWaitReplicas = GatewaySetting.integer(
        "redis-wait-replicas", "HOOKBAY_REDIS_WAIT_REPLICAS",
        "Replicas that must acknowledge each delivery's enqueue (Redis WAIT) before it is answered 2xx; 0 answers once the primary has it.",
        \.redisWaitReplicas, in: 0...16)
    public static let redisWaitTimeout = GatewaySetting.seconds(
        "redis-wait-timeout", "HOOKBAY_REDIS_WAIT_TIMEOUT",
        "Seconds a delivery's batch waits for --redis-wait-replicas before it is answered 503 queue_unavailable.",
        \.redisWaitTimeout, in: 0.01...60, fractional: true)
    public static let database = GatewaySetting(
        flag: "database", environmentVariable: "HOOKBAY_DATABASE",
        summary:
            "Content database: a SQLite file path (or sqlite:PATH), or postgres://user:password@host:port/database[?sslmode=MODE].",
        renderDefault: { $0.database.description },
        apply: { text, configuration in
            do throws(DatabaseLocationError) {
                configuration.database = try DatabaseLocation(text)
                return nil
            } catch {
                return error.description
            }
        })
    public static let databasePoolSize = GatewaySetting.integer(
        "database-pool-size", "HOOKBAY_DATABASE_POOL_SIZE",
        "Connections to PostgreSQL this process opens at most (workers hold one each while applying a batch).",
        \.databasePoolSize, in: 1...256)
    public static let workers = GatewaySetting.integer(
        "workers", "HOOKBAY_WORKERS", "Workers processing the queue in this process.", \.workers, in: 0...1024)
    public static let noWorkers = GatewaySetting(
        flag: "no-workers", environmentVariable: nil,
        summary: "Only receive; leave processing to `hookbay worker` processes (--workers 0).",
        renderDefault: { _ in "off" },
        apply: { text, configuration in
            if text == "true" { configuration.workers = 0 }
            return nil
        })
    public static let consumerName = GatewaySetting.text(
        "consumer-name", "HOOKBAY_CONSUMER_NAME",
        "Consumer name prefix of this process's workers, stable across restarts; worker i is `<name>-<i>`.",
        \.consumerName, defaultText: "the host name")
    public static let claimIdle = GatewaySetting.seconds(
        "claim-idle", "HOOKBAY_CLAIM_IDLE", "Seconds after which a crashed consumer's entries are taken over.",
        \.claimIdle, in: 1...31_536_000)

    // MARK: Forwarding
    public static let forwardAllowNetwork = GatewaySetting.networks(
        "forward-allow-network", "HOOKBAY_FORWARD_ALLOW_NETWORKS",
        "A CIDR range forwarding may connect to although it is private, loopback or link-local; repeatable (the variable: comma-separated).",
        \.forwardAllowNetworks)

    // MARK: Clients
    public static let trustedProxy = GatewaySetting.networks(
        "trusted-proxy", "HOOKBAY_TRUSTED_PROXIES",
        "A CIDR range of proxies whose X-Forwarded-For is believed: the rightmost address in it not in such a range is the client a platform's allow_ips checks; repeatable (the variable: comma-separated).",
        \.trustedProxies, clients: true)

    // MARK: Logs
    public static let logLevel = GatewaySetting.choice(
        "log-level", "LOG_LEVEL", "Least severe log level written: trace, debug, info, notice, warning, error or critical.",
        \.logLevel, Logger.Level.allCases.map { ($0.rawValue, $0) }, render: \.rawValue)
    public static let logFormat = GatewaySetting.choice(
        "log-format", "LOG_FORMAT", "text, or json: one JSON object per line.",
        \.logFormat, GatewayConfiguration.LogFormat.allCases.map { ($0.rawValue, $0) }, render: \.rawValue)

    /// Every setting, in the order the documentation lists them.
    public static let all: [GatewaySetting] = [
        host, port, configDirectory, pluginDirectory, redisURL, redisWaitReplicas, redisWaitTimeout, database, databasePoolSize, workers, noWorkers,
        consumerName,
        claimIdle, forwardAllowNetwork,
        maxBodyBytes, idleTimeout, requestTimeout, maxConnections, maxBufferedBytes, trustedProxy, reloadInterval, logLevel, logFormat,
        adminToken,
    ]

    /// A configuration with `settings` read from `flags` (text given on the command line, by flag name), else from
    /// `environment`, else left at their defaults; settings not listed keep their defaults whatever the environment.
    public static func configuration(
        _ settings: [GatewaySetting], flags: [String: String], environment: [String: String]
    ) throws(SettingError) -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        // In the table's order, whatever the caller's: --no-workers overrides --workers.
        let offered = Set(settings.map(\.displayName))
        for setting in self.all where offered.contains(setting.displayName) {
            let given = setting.flag.flatMap { flags[$0] } ?? setting.environmentVariable.flatMap { environment[$0] }
            guard let given else { continue }
            if let problem = setting.apply(given, &configuration) {
                throw SettingError(setting: setting.displayName, problem: problem)
            }
        }
        if configuration.reloadInterval > .zero, configuration.reloadInterval < .milliseconds(50) {
            throw SettingError(setting: reloadInterval.displayName, problem: "must be 0 (polling off) or at least 0.05 seconds")
        }
        if configuration.maxBufferedBytes < configuration.maxBodyBytes {
            throw SettingError(
                setting: maxBufferedBytes.displayName,
                problem: "must be at least --max-body-bytes (\(configuration.maxBodyBytes))")
        }
        return configuration
    }
}
