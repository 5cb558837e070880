/// Where and how to reach one Redis server.
///
/// Parsed from `redis://[[user]:password@]host[:port][/db]`:
/// ```swift
/// let config = try RedisConfiguration(url: "redis://:s3cret@127.0.0.1:6379/2")
/// ```
public struct RedisConfiguration: Sendable, Equatable {
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

    /// Parses a `redis://` URL; throws ``RedisError/invalidURL(_:)`` naming what is wrong.
    public init(url: String) throws(RedisError) {
        self.init()
        guard url.hasPrefix("redis://") else {
            throw .invalidURL("\(Self.redacted(url)) does not start with redis://")
        }
        var rest = Substring(url.dropFirst("redis://".count))
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
        var hostPart = rest
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
        guard url.hasPrefix("redis://"), let at = url.lastIndex(of: "@") else { return url }
        return "redis://***@" + url[url.index(after: at)...]
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

    /// `host:port/db`, without credentials: for logs.
    public var displayAddress: String { "\(host):\(port)/\(database)" }
}
