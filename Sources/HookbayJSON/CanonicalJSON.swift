/// Serialises ``JSONValue``s canonically: object keys sorted by their UTF-8 bytes, no insignificant whitespace,
/// strings escaped minimally, numbers as written. Two bodies that mean the same document give the same bytes.
public enum CanonicalJSON {
    /// The canonical bytes of `value`.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        self.write(value, into: &out)
        return out
    }

    /// Appends the canonical bytes of `value` to `out`.
    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: n.utf8)
        case .string(let s): self.writeString(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                self.write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // Positions are sorted rather than the members themselves: moving and comparing (key, value) pairs
            // retained and released the values at every comparison.
            let entries = Array(members)
            var order = Array(entries.indices)
            entries.withUnsafeBufferPointer { entries in
                order.sort { Self.precedes(entries[$0].key, entries[$1].key) }
            }
            for (i, position) in order.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                self.writeString(entries[position].key, into: &out)
                out.append(UInt8(ascii: ":"))
                self.write(entries[position].value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Whether `a` sorts before `b` by their UTF-8 bytes (what canonical key order is; `String`'s `<` compares by
    /// Unicode canonical equivalence instead). Native strings are compared in place: byte by byte, as keys mostly
    /// differ within their first few bytes (a call to `memcmp` per comparison was a tenth of a push's CPU).
    @inline(__always)
    static func precedes(_ a: String, _ b: String) -> Bool {
        let inPlace = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in Self.precedes(x, y) }
        }
        if let result = inPlace ?? nil { return result }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Whether the bytes `x` sort before the bytes `y`.
    @inline(__always)
    static func precedes(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        let common = min(x.count, y.count)
        var i = 0
        while i < common {
            let (p, q) = (x[i], y[i])
            if p != q { return p < q }
            i += 1
        }
        return x.count < y.count
    }

    /// Appends `s` as a JSON string literal, escaping only `"`, `\` and control characters.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            // Runs of bytes that need no escape are found eight at a time and copied at once.
            var run = 0
            while true {
                let index = ByteScan.firstSpecial(in: bytes, from: run, nonASCII: false)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
                guard index < bytes.count else { break }
                Self.writeEscape(bytes[index], into: &out)
                run = index + 1
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func writeEscape(_ byte: UInt8, into out: inout [UInt8]) {
        out.append(0x5C)
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            out.append(UInt8(ascii: "u"))
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "0"))
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
    }

    /// `s` as a JSON string literal.
    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        self.writeString(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
