import Foundation
import Logging

/// Everything a `hookbay` process is told on its command line or in its environment, with the documented defaults.
///
/// These initial values are the only place the defaults are written: ``GatewaySettings`` (the flags, environment
/// variables and help text) and `docs/configuration.md` read them from here.
public struct GatewayConfiguration: Sendable {
    /// Address to listen on.
    public var host: String = "0.0.0.0"
    /// Port to listen on; 0 picks a free port.
    public var port: Int = 8080
    /// Directory of platform YAML files.
    public var configDirectory: String = "platforms.d"
    /// `redis://` URL; `nil` runs the embedded, non-durable queue.
    public var redisURL: String?
    /// Replicas that must acknowledge a delivery's enqueue (Redis `WAIT`) before it is answered 2xx; 0 answers once
    /// the primary has it.
    public var redisWaitReplicas: Int = 0
    /// How long a delivery waits for those replicas before it is answered `503 queue_unavailable`.
    public var redisWaitTimeout: Duration = .seconds(1)
    /// Largest webhook body accepted, in bytes.
    public var maxBodyBytes: Int = 1 << 20
    /// Extra directory searched for adapter plugins before the executable's own.
    public var pluginDirectory: String?
    /// The content database: a SQLite file, or a PostgreSQL server.
    public var database: DatabaseLocation = .sqlite(path: "hookbay.sqlite")
    /// Connections this process keeps to PostgreSQL at most (SQLite has one writer and its own readers). Each worker
    /// holds one while it applies a batch; the content API and the retention share the rest.
    public var databasePoolSize: Int = 8
    /// Workers in this process; 0 only receives. Four keep the content database's single writer busy while the
    /// others read, run adapters and acknowledge (docs/performance.md has the drain rates behind this choice).
    public var workers: Int = 4
    /// Prefix of the workers' consumer names (`<prefix>-<index>`), stable across restarts. Default the host name.
    public var consumerName: String = ProcessInfo.processInfo.hostName
    /// Entries idle this long are taken over from a crashed consumer.
    public var claimIdle: Duration = .seconds(60)
    /// Address ranges forwarding may connect to although they are private, loopback or link-local (internal services,
    /// tests). None by default: destinations must be public.
    public var forwardAllowNetworks: [IPNetwork] = []
    /// Proxies whose `X-Forwarded-For` is believed (for platforms' `allow_ips`).
    public var trustedProxies: [IPNetwork] = []
    /// A connection with no traffic for this long is closed (idle keep-alives, stalled clients).
    public var idleTimeout: Duration = .seconds(30)
    /// A request whose body has not arrived in full this long after its head is dropped and its connection closed
    /// (slow-trickle clients).
    public var requestTimeout: Duration = .seconds(30)
    /// Connections served at once; one more is answered `503 server_busy` and closed.
    public var maxConnections: Int = 4096
    /// Bytes of delivery bodies held at once across all connections (read, or waiting for the queue); a delivery past
    /// it is answered `503 server_busy` before its body is read.
    public var maxBufferedBytes: Int = 256 << 20
    /// Bearer token of the admin endpoints; `nil` turns them off (403).
    public var adminToken: String?
    /// How often the config directory is checked for changes; zero turns polling off (SIGHUP and the admin reload
    /// endpoint still reload).
    public var reloadInterval: Duration = .seconds(1)
    /// How often workers look for idle entries and due retries.
    public var claimInterval: Duration = .seconds(1)
    /// Least severe log level written.
    public var logLevel: Logger.Level = .info
    /// How log lines are written.
    public var logFormat: LogFormat = .text

    /// How log lines are written.
    public enum LogFormat: String, Sendable, CaseIterable {
        /// swift-log's text lines.
        case text
        /// One JSON object per line (``JSONLogHandler``).
        case json
    }

    /// Every setting at its default.
    public init() {}
}
