import NIOCore

/// A reply from Redis, as the RESP2 protocol types it.
public enum RESPValue: Sendable, Equatable {
    /// `+OK`-style status replies.
    case simpleString(String)
    /// `-ERR ...` error replies. ``RedisConnection/send(_:timeout:)`` turns these into ``RedisError/server(_:)``.
    case error(String)
    /// `:42` integer replies.
    case integer(Int)
    /// `$n` bulk strings, binary safe.
    case bulkString(ByteBuffer)
    /// `$-1` / `*-1` null replies.
    case null
    /// `*n` arrays.
    case array([RESPValue])

    /// The reply as text when it is a simple or bulk string (or an integer, printed).
    public var string: String? {
        switch self {
        case .simpleString(let s): return s
        case .bulkString(let b): return String(buffer: b)
        case .integer(let i): return String(i)
        default: return nil
        }
    }

    /// The reply as an integer when it is an integer or a string holding one.
    public var int: Int? {
        switch self {
        case .integer(let i): return i
        case .bulkString, .simpleString: return self.string.flatMap { Int($0) }
        default: return nil
        }
    }

    /// The elements when the reply is an array.
    public var array: [RESPValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// Whether the reply is a null.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
