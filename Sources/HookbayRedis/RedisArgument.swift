import NIOCore

/// One argument of a Redis command, written to the wire without intermediate copies.
public enum RedisArgument: Sendable, ExpressibleByStringLiteral {
    case string(String)
    case bytes(ByteBuffer)
    case integer(Int)

    public init(stringLiteral value: String) { self = .string(value) }
}

extension ByteBuffer {
    /// Appends `args` as one RESP command (`*N\r\n$len\r\narg\r\n...`), in one pass over memory reserved once
    /// (writing it piece by piece through `ByteBuffer`'s checked writes costs a bounds check and a possible growth per
    /// piece; docs/performance.md has the figures).
    mutating func writeRedisCommand(_ args: [RedisArgument]) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.redisCommandBound(args)) { out in
            var writer = RESPWriter(base: out.baseAddress!.assumingMemoryBound(to: UInt8.self))
            writer.byte(UInt8(ascii: "*"))
            writer.decimal(args.count)
            writer.crlf()
            for arg in args {
                switch arg {
                case .string(var s):
                    s.withUTF8 { writer.bulk(UnsafeRawBufferPointer($0)) }
                case .bytes(let b):
                    b.withUnsafeReadableBytes { writer.bulk($0) }
                case .integer(let i):
                    writer.byte(UInt8(ascii: "$"))
                    writer.decimal(RESPWriter.digits(i.magnitude) + (i < 0 ? 1 : 0))
                    writer.crlf()
                    writer.decimal(i)
                    writer.crlf()
                }
            }
            return writer.at
        }
    }
}

extension ByteBuffer {
    /// `args` as one RESP command, in a buffer allocated once at a size that holds it.
    static func redisCommand(_ args: [RedisArgument], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: Self.redisCommandBound(args))
        buffer.writeRedisCommand(args)
        return buffer
    }

    /// An upper bound of the encoded size: `$`, up to 20 digits and CRLF before each argument, CRLF after it.
    private static func redisCommandBound(_ args: [RedisArgument]) -> Int {
        var size = 1 + 20 + 2
        for arg in args {
            switch arg {
            case .string(let s): size += 25 + s.utf8.count
            case .bytes(let b): size += 25 + b.readableBytes
            case .integer: size += 25 + 21
            }
        }
        return size
    }
}

/// Writes RESP into memory known to be large enough.
private struct RESPWriter {
    let base: UnsafeMutablePointer<UInt8>
    var at = 0

    mutating func byte(_ value: UInt8) {
        base[at] = value
        at += 1
    }

    mutating func crlf() {
        base[at] = UInt8(ascii: "\r")
        base[at + 1] = UInt8(ascii: "\n")
        at += 2
    }

    /// `$<count>\r\n<bytes>\r\n`.
    mutating func bulk(_ bytes: UnsafeRawBufferPointer) {
        byte(UInt8(ascii: "$"))
        decimal(bytes.count)
        crlf()
        if let source = bytes.baseAddress, bytes.count > 0 {
            UnsafeMutableRawPointer(base + at).copyMemory(from: source, byteCount: bytes.count)
            at += bytes.count
        }
        crlf()
    }

    /// `value` in decimal.
    mutating func decimal(_ value: Int) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        var rest = value.magnitude
        let count = Self.digits(rest)
        var position = at + count - 1
        repeat {
            base[position] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            position -= 1
        } while rest > 0
        at += count
    }

    static func digits(_ value: UInt) -> Int {
        var count = 1
        var rest = value / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        return count
    }
}
