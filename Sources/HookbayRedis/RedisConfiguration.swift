/// Where and how to reach one Redis server, or a Redis Cluster.
///
/// Parsed from `redis://[[user]:password@]host[:port][/db]`:
/// ```swift
/// let config = try RedisConfiguration(url: "redis://:s3cret@127.0.0.1:6379/2")
/// ```
/// or, for a cluster, from its seed nodes: `redis+cluster://[[user]:password@]host:port[,host:port...]`. The client
/// learns the rest of the cluster from the seeds (`CLUSTER SLOTS`); a cluster has database 0 only.
public struct RedisConfiguration: Sendable, Equatable {
    /// The URL scheme of a Redis Cluster.
    public static let clusterScheme = "redis+cluster://"
    /// Seed nodes a cluster URL may name at most.
    public static let maxClusterSeeds = 64

    /// Host name or address. Default `127.0.0.1`.
    public var host: String
    /// TCP port. Default 6379.
    public var port: Int
    /// ACL user name, if any (`AUTH user password`).
    public var username: String?
    /// Password, if any (`AUTH password`). Never logged.
    public var password: String?
    /// Database index for `SELECT`. Default 0.
    public var database: Int
    /// How long to wait for the TCP connection and its hand-shake. Default 2 s.
    public var connectTimeout: Duration
    /// How long to wait for any reply before the connection is given up. Default 5 s.
    public var commandTimeout: Duration
    /// After a failed connect, how long commands fail at once instead of trying again. Default 250 ms.
    public var reconnectBackoff: Duration
    /// The seed nodes of a Redis Cluster; empty for one server (`host` and `port`).
    public var clusterSeeds: [RedisNodeAddress] = []

    /// Whether this names a Redis Cluster.
    public var isCluster: Bool { !self.clusterSeeds.isEmpty }

    /// A configuration for `host:port` with the documented defaults for everything else.
    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(5),
        reconnectBackoff: Duration = .milliseconds(250)
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectBackoff = reconnectBackoff
    }

    /// Parses a `redis://` or `redis+cluster://` URL; throws ``RedisError/invalidURL(_:)`` naming what is wrong.
    public init(url: String) throws(RedisError) {
        self.init()
        let cluster = url.hasPrefix(Self.clusterScheme)
        guard url.hasPrefix("redis://") || cluster else {
            throw .invalidURL("\(Self.redacted(url)) does not start with redis:// or \(Self.clusterScheme)")
        }
        var rest = Substring(url.dropFirst(cluster ? Self.clusterScheme.count : "redis://".count))
        if let slash = rest.firstIndex(of: "/") {
            let dbText = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !dbText.isEmpty {
                guard let db = Int(dbText), db >= 0 else {
                    throw .invalidURL("database '\(dbText)' in \(Self.redacted(url)) is not a number >= 0")
                }
                self.database = db
            }
        }
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                self.username = user.isEmpty ? nil : Self.percentDecoded(user)
                self.password = Self.percentDecoded(credentials[credentials.index(after: colon)...])
            } else if !credentials.isEmpty {
                self.password = Self.percentDecoded(credentials)
            }
        }
        if cluster {
            guard self.database == 0 else {
                throw .invalidURL("database \(self.database) in \(Self.redacted(url)): a Redis Cluster has database 0 only")
            }
            let seeds = rest.split(separator: ",", omittingEmptySubsequences: false)
            guard seeds.count <= Self.maxClusterSeeds else {
                throw .invalidURL("\(seeds.count) seed nodes in \(Self.redacted(url)): at most \(Self.maxClusterSeeds)")
            }
            for seed in seeds {
                guard !seed.isEmpty else { throw .invalidURL("an empty seed node in \(Self.redacted(url))") }
                try self.setAddress(seed, url: url)
                self.clusterSeeds.append(RedisNodeAddress(host: self.host, port: self.port))
            }
            self.host = self.clusterSeeds[0].host
            self.port = self.clusterSeeds[0].port
        } else {
            try self.setAddress(rest, url: url)
        }
    }

    /// Sets `host` and `port` from `host[:port]` or `[v6][:port]`.
    private mutating func setAddress(_ hostPart: Substring, url: String) throws(RedisError) {
        var hostPart = hostPart
        self.port = 6379
        if hostPart.hasPrefix("[") {
            // [::1]:6379
            guard let close = hostPart.firstIndex(of: "]") else {
                throw .invalidURL("unterminated IPv6 address in \(Self.redacted(url))")
            }
            self.host = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            hostPart = hostPart[hostPart.index(after: close)...]
            if hostPart.hasPrefix(":") {
                try self.setPort(hostPart.dropFirst(), url: url)
            }
        } else if let colon = hostPart.lastIndex(of: ":") {
            self.host = String(hostPart[..<colon])
            try self.setPort(hostPart[hostPart.index(after: colon)...], url: url)
        } else {
            self.host = String(hostPart)
        }
        if self.host.isEmpty { self.host = "127.0.0.1" }
    }

    private mutating func setPort(_ text: Substring, url: String) throws(RedisError) {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw .invalidURL("port '\(text)' in \(Self.redacted(url)) is not a number from 1 to 65535")
        }
        self.port = port
    }

    /// The URL with any password replaced, safe for logs and error messages.
    public static func redacted(_ url: String) -> String {
        for scheme in ["redis://", Self.clusterScheme] where url.hasPrefix(scheme) {
            guard let at = url.lastIndex(of: "@") else { return url }
            return scheme + "***@" + url[url.index(after: at)...]
        }
        return url
    }

    /// This configuration for one node of its cluster: same credentials and timeouts, `address` for host and port.
    public func node(_ address: RedisNodeAddress) -> RedisConfiguration {
        var node = self
        node.host = address.host
        node.port = address.port
        node.clusterSeeds = []
        return node
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let h = iterator.next(), let l = iterator.next(),
                let value = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `host:port/db`, or `cluster host:port,...` (the seeds), without credentials: for logs.
    public var displayAddress: String {
        if self.isCluster { return "cluster " + self.clusterSeeds.map(\.description).joined(separator: ",") }
        return "\(host):\(port)/\(database)"
    }
}
