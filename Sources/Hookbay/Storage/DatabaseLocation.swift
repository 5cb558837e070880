import Foundation

/// Where the content database is, as `--database` gives it: a SQLite file (a path, or `sqlite:PATH`) or a PostgreSQL
/// server (`postgres://user:password@host:port/database?sslmode=MODE`).
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite file, created when missing.
    case sqlite(path: String)
    /// A PostgreSQL database.
    case postgres(PostgresLocation)

    /// Reads a `--database` value. The error never repeats the value (it may hold a password).
    public init(_ text: String) throws(DatabaseLocationError) {
        guard !text.isEmpty else { throw DatabaseLocationError("must not be empty") }
        let lowered = text.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(url: text))
        } else if lowered.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { throw DatabaseLocationError("sqlite: needs a file path after it (sqlite:/var/lib/hookbay/content.sqlite)") }
            self = .sqlite(path: path)
        } else if let scheme = lowered.range(of: "://").map({ String(lowered[..<$0.lowerBound]) }),
            !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." })
        {
            throw DatabaseLocationError("unknown database scheme '\(scheme)': use a SQLite file path, sqlite:PATH or postgres://")
        } else {
            self = .sqlite(path: text)
        }
    }

    /// The location as logs and help show it: never the password.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let location): location.displayAddress
        }
    }
}

/// A PostgreSQL server and database to connect to. Printed, dumped or reflected, it never shows its password.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// How the connection is encrypted: libpq's `sslmode`, with libpq's meanings.
    public enum TLSMode: String, Sendable, Equatable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, its certificate not verified (the default, as libpq's).
        case prefer
        /// TLS or no connection, the certificate not verified.
        case require
        /// TLS, the certificate verified against the system's trusted authorities, not its host name.
        case verifyCA = "verify-ca"
        /// TLS, the certificate and its host name verified.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(host: String, port: Int = 5432, username: String, password: String?, database: String, tls: TLSMode = .prefer) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Reads `postgres://user[:password]@host[:port][/database][?sslmode=MODE]`; the database defaults to the user's
    /// name, the port to 5432, `sslmode` to `prefer`. User and password are percent-decoded.
    public init(url text: String) throws(DatabaseLocationError) {
        guard let components = URLComponents(string: text) else {
            throw DatabaseLocationError("is not a valid postgres:// URL (percent-encode reserved characters in the password)")
        }
        guard var host = components.host, !host.isEmpty else {
            throw DatabaseLocationError("a postgres:// URL needs a host (postgres://user:password@host:5432/database)")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let username = components.user, !username.isEmpty else {
            throw DatabaseLocationError("a postgres:// URL needs a user name (postgres://user:password@host:5432/database)")
        }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw DatabaseLocationError("the port must be from 1 to 65535, not \(port)") }
        var database = components.path
        if database.hasPrefix("/") { database.removeFirst() }
        guard !database.contains("/") else { throw DatabaseLocationError("the database name must not contain '/'") }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                let value = item.value ?? ""
                guard let mode = TLSMode(rawValue: value == "allow" ? "prefer" : value) else {
                    throw DatabaseLocationError("sslmode must be disable, prefer, require, verify-ca or verify-full")
                }
                tls = mode
            default:
                // Not named: with an unencoded '?' in the password, the "parameter" is part of the password.
                throw DatabaseLocationError(
                    "a postgres:// URL takes one parameter, sslmode (percent-encode '?', '#', '@' and '/' in a password)")
            }
        }
        self.host = host
        self.port = port
        self.username = username
        self.password = components.password
        self.database = database.isEmpty ? username : database
        self.tls = tls
    }

    public var description: String { self.displayAddress }
    public var debugDescription: String { self.displayAddress }
    public var customMirror: Mirror { Mirror(self, children: ["address": self.displayAddress]) }

    /// `postgres://user@host:port/database`: no password.
    public var displayAddress: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "postgres://\(self.username)@\(host):\(self.port)/\(self.database)"
    }
}

/// Why a `--database` value was refused.
public struct DatabaseLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
