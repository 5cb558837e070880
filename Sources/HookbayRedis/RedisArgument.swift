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
        // Room for the whole command up front: one allocation instead of one per doubling (a 600-byte body's
        // command grew the buffer five times).
        var size = 16
        for arg in args {
            switch arg {
            case .string(let s): size += 16 + s.utf8.count
            case .bytes(let b): size += 16 + b.readableBytes
            case .integer: size += 40
            }
        }
        self.reserveCapacity(minimumWritableBytes: size)
        self.writeInteger(UInt8(ascii: "*"))
        self.writeDecimal(args.count)
        self.writeStaticString("\r\n")
        for arg in args {
            switch arg {
            case .string(let s):
                self.writeBulkHeader(s.utf8.count)
                self.writeString(s)
            case .bytes(let b):
                self.writeBulkHeader(b.readableBytes)
                self.writeImmutableBuffer(b)
            case .integer(let i):
                var digits = 0
                var rest = i.magnitude
                repeat { digits += 1; rest /= 10 } while rest > 0
                self.writeBulkHeader(digits + (i < 0 ? 1 : 0))
                self.writeDecimal(i)
            }
            self.writeStaticString("\r\n")
        }
    }

    /// `$<count>\r\n`.
    private mutating func writeBulkHeader(_ count: Int) {
        self.writeInteger(UInt8(ascii: "$"))
        self.writeDecimal(count)
        self.writeStaticString("\r\n")
    }

    /// `value` in decimal, without building a String.
    private mutating func writeDecimal(_ value: Int) {
        if value < 0 { self.writeInteger(UInt8(ascii: "-")) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var rest = value.magnitude
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            self.writeBytes(UnsafeRawBufferPointer(rebasing: buffer[(20 - count)...]))
        }
    }
}
