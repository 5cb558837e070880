import Foundation
import Testing

@testable import Hookbay

/// `--database` values: a SQLite path or a PostgreSQL URL, read strictly, never repeating a password.
@Suite struct DatabaseLocationTests {
    @Test func pathsAndSQLiteURLsAreSQLite() throws {
        #expect(try DatabaseLocation("hookbay.sqlite") == .sqlite(path: "hookbay.sqlite"))
        #expect(try DatabaseLocation("/var/lib/hookbay/c.sqlite") == .sqlite(path: "/var/lib/hookbay/c.sqlite"))
        #expect(try DatabaseLocation("sqlite:/tmp/c.sqlite") == .sqlite(path: "/tmp/c.sqlite"))
        #expect(try DatabaseLocation("sqlite:///tmp/c.sqlite") == .sqlite(path: "/tmp/c.sqlite"))
    }

    @Test func postgresURLs() throws {
        let full = try DatabaseLocation("postgres://app:p%40ss%3Fw@db.internal:6432/content?sslmode=verify-full")
        #expect(
            full
                == .postgres(
                    PostgresLocation(host: "db.internal", port: 6432, username: "app", password: "p@ss?w", database: "content", tls: .verifyFull)))
        let short = try DatabaseLocation("postgresql://app@[::1]")
        #expect(short == .postgres(PostgresLocation(host: "::1", port: 5432, username: "app", password: nil, database: "app", tls: .prefer)))
        #expect(short.description == "postgres://app@[::1]:5432/app")
        for mode in ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] {
            #expect(throws: Never.self) { try DatabaseLocation("postgres://u@h/d?sslmode=\(mode)") }
        }
    }

    /// Every refusal is clear and none repeats the value: an unencoded '?' in a password makes the rest a "parameter".
    @Test(arguments: [
        ("", "must not be empty"),
        ("mysql://u:secret-1@h/d", "unknown database scheme 'mysql'"),
        ("postgres://h/d", "needs a user name"),
        ("postgres://u:secret-1@/d", "needs a host"),
        ("postgres://u:secret-1@h:0/d", "port must be from 1 to 65535"),
        ("postgres://u:secret-1@h/d?sslmode=maybe", "sslmode must be"),
        ("postgres://u:se?cret-1@h/d", "percent-encode"),
        ("postgres://u:secret-1@h/d/e", "must not contain '/'"),
        ("sqlite:", "needs a file path"),
    ])
    func refusals(_ value: String, _ message: String) {
        #expect {
            try DatabaseLocation(value)
        } throws: { error in
            let text = "\(error)"
            return text.contains(message) && !text.contains("secret-1") && !text.contains("cret-1")
        }
    }

    /// Printed, interpolated, dumped or reflected, a location never shows its password.
    @Test func theAddressHidesThePassword() throws {
        let location = PostgresLocation(host: "h", username: "u", password: "hunter2-secret", database: "d")
        var dumped = ""
        dump(location, to: &dumped)
        for text in ["\(location)", String(reflecting: location), dumped, "\(DatabaseLocation.postgres(location))"] {
            #expect(!text.contains("hunter2"), "\(text)")
        }
    }
}
