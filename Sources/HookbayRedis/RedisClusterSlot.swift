import NIOCore

/// Which of a Redis Cluster's 16384 hash slots a key, or a command, belongs to.
///
/// A key's slot is the CRC16 (XMODEM) of its hash tag (the text between its first `{` and the next `}`, when not
/// empty) or of the whole key, modulo 16384: the cluster specification's rule. Hookbay's keys all carry `{platform}`,
/// so a platform's keys share one slot and one script may touch them together.
public enum RedisClusterSlot {
    /// Slots in a cluster.
    public static let count = 16384

    /// The slot of `key`.
    public static func of(key: some Collection<UInt8>) -> Int {
        var hashed = key[...]
        if let open = key.firstIndex(of: UInt8(ascii: "{")) {
            let after = key.index(after: open)
            if let close = key[after...].firstIndex(of: UInt8(ascii: "}")), close != after {
                hashed = key[after..<close]
            }
        }
        var crc: UInt16 = 0
        for byte in hashed {
            crc = (crc << 8) ^ Self.table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return Int(crc) & (Self.count - 1)
    }

    /// The slot of `key`.
    public static func of(key: String) -> Int { Self.of(key: Array(key.utf8)) }

    /// The slot of a command's first key, or `nil` for a command without keys (`PING`, `INFO`, `WAIT`...), which any
    /// node can answer.
    public static func of(command: [RedisArgument]) -> Int? {
        guard let key = Self.firstKey(of: command) else { return nil }
        switch key {
        case .string(let text): return Self.of(key: text)
        case .bytes(let bytes): return bytes.withUnsafeReadableBytes { Self.of(key: $0) }
        case .integer(let number): return Self.of(key: String(number))
        }
    }

    /// Where a command's first key is: after `numkeys` for scripts, after `STREAMS` for stream reads, the third word
    /// of the container commands (`XGROUP CREATE key`, `XINFO GROUPS key`), and the second of every other command
    /// Hookbay sends; `nil` for the commands without keys.
    static func firstKey(of command: [RedisArgument]) -> RedisArgument? {
        guard case .string(let name)? = command.first else { return nil }
        switch name.uppercased() {
        case "PING", "INFO", "WAIT", "CLUSTER", "ASKING", "SCRIPT", "AUTH", "SELECT", "HELLO", "CLIENT", "CONFIG",
            "FLUSHALL", "FLUSHDB", "DBSIZE", "KEYS", "SCAN", "ECHO", "TIME", "ROLE", "MULTI", "EXEC", "READONLY":
            return nil
        case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO":
            guard command.count > 3, Self.integer(command[2]).map({ $0 > 0 }) == true else { return nil }
            return command[3]
        case "XREAD", "XREADGROUP":
            guard let streams = command.firstIndex(where: { Self.word($0) == "STREAMS" }), streams + 1 < command.count else { return nil }
            return command[streams + 1]
        case "XGROUP", "XINFO", "OBJECT", "MEMORY":
            return command.count > 2 ? command[2] : nil
        default:
            return command.count > 1 ? command[1] : nil
        }
    }

    private static func word(_ argument: RedisArgument) -> String? {
        if case .string(let text) = argument { return text.uppercased() }
        return nil
    }

    private static func integer(_ argument: RedisArgument) -> Int? {
        switch argument {
        case .integer(let number): return number
        case .string(let text): return Int(text)
        case .bytes(let bytes): return Int(String(buffer: bytes))
        }
    }

    /// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), one entry per byte value.
    private static let table: [UInt16] = (0..<256).map { byte in
        var crc = UInt16(byte) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }
}
