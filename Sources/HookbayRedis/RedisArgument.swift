import NIOCore

/// One argument of a Redis command, written to the wire without intermediate copies.
public enum RedisArgument: Sendable, ExpressibleByStringLiteral {
    case string(String)
    case bytes(ByteBuffer)
    case integer(Int)

    public init(stringLiteral value: String) { self = .string(value) }
}

extension ByteBuffer {
    /// Appends `args` as one RESP command (`*N\r\n$len\r\narg\r\n...`).
    mutating func writeRedisCommand(_ args: [RedisArgument]) {
        self.writeStaticString("*")
        self.writeString(String(args.count))
        self.writeStaticString("\r\n")
        for arg in args {
            switch arg {
            case .string(let s):
                self.writeStaticString("$")
                self.writeString(String(s.utf8.count))
                self.writeStaticString("\r\n")
                self.writeString(s)
            case .bytes(let b):
                self.writeStaticString("$")
                self.writeString(String(b.readableBytes))
                self.writeStaticString("\r\n")
                self.writeImmutableBuffer(b)
            case .integer(let i):
                let s = String(i)
                self.writeStaticString("$")
                self.writeString(String(s.utf8.count))
                self.writeStaticString("\r\n")
                self.writeString(s)
            }
            self.writeStaticString("\r\n")
        }
    }
}
