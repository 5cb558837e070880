import Crypto

/// A Lua script and its SHA-1, so it can be run by `EVALSHA` without a `SCRIPT LOAD` round trip first.
public struct RedisScript: Sendable {
    /// The Lua source.
    public let source: String
    /// Lowercase hex SHA-1 of the source, as Redis names scripts.
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
