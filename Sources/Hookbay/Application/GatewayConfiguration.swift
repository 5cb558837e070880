import Foundation

/// Everything `hookbay serve` is told on its command line, with the documented defaults.
public struct GatewayConfiguration: Sendable {
    /// Address to listen on. Default `0.0.0.0`.
    public var host: String = "0.0.0.0"
    /// Port to listen on. Default 8080; 0 picks a free port.
    public var port: Int = 8080
    /// Directory of platform YAML files. Default `platforms.d`.
    public var configDirectory: String = "platforms.d"
    /// `redis://` URL; `nil` runs the embedded, non-durable queue. Default `nil`.
    public var redisURL: String?
    /// Largest webhook body accepted. Default 1 MiB.
    public var maxBodyBytes: Int = 1 << 20
    /// Extra directory searched for adapter plugins before the executable's own. Default none.
    public var pluginDirectory: String?
    /// SQLite content database. Default `hookbay.sqlite`.
    public var databasePath: String = "hookbay.sqlite"
    /// Workers in this process; 0 only receives. Default 4: the content database takes one writer at a time, and
    /// four workers keep it busy while the others read, run adapters and acknowledge (drain rate on 2 cores: ~19k/s
    /// with 2, ~21k/s with 4; ~31k/s with 4 once checkpoints ran beside the writer).
    public var workers: Int = 4
    /// Prefix of the workers' consumer names (`<prefix>-<index>`). Default the host name.
    public var consumerName: String = ProcessInfo.processInfo.hostName
    /// Entries idle this long are taken over from a crashed consumer. Default 60 s.
    public var claimIdle: Duration = .seconds(60)
    /// A connection with no traffic for this long is closed (idle keep-alives, stalled clients). Default 30 s.
    public var idleTimeout: Duration = .seconds(30)
    /// A request whose body has not arrived in full this long after its head is dropped and its connection closed
    /// (slow-trickle clients). Default 30 s.
    public var requestTimeout: Duration = .seconds(30)
    /// Connections served at once; one more is answered `503 server_busy` and closed. Default 4096.
    public var maxConnections: Int = 4096
    /// Bytes of delivery bodies held at once across all connections (read, or waiting for the queue); a delivery past
    /// it is answered `503 server_busy` before its body is read. Default 256 MiB.
    public var maxBufferedBytes: Int = 256 << 20
    /// Bearer token of the admin endpoints; `nil` turns them off (403). Default none.
    public var adminToken: String?
    /// How often the config directory is checked for changes. Default 1 s.
    public var reloadInterval: Duration = .seconds(1)
    /// How often workers look for idle entries and due retries. Default 1 s.
    public var claimInterval: Duration = .seconds(1)

    public init(host: String = "0.0.0.0", port: Int = 8080, configDirectory: String = "platforms.d",
                redisURL: String? = nil, maxBodyBytes: Int = 1 << 20, pluginDirectory: String? = nil) {
        self.pluginDirectory = pluginDirectory
        self.host = host
        self.port = port
        self.configDirectory = configDirectory
        self.redisURL = redisURL
        self.maxBodyBytes = maxBodyBytes
    }
}
