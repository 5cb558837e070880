import NIOCore

/// A range of IP addresses in CIDR notation (`10.0.0.0/8`, `fd00::/8`; a bare address is the range of itself).
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// The network's address: 4 bytes for IPv4, 16 for IPv6, bits past the prefix cleared.
    public let address: [UInt8]
    /// Leading bits that an address must share with `address`.
    public let prefixLength: Int

    /// Parses `a.b.c.d[/n]` or an IPv6 address `[/n]`; `nil` for anything else (a host name, a prefix out of range).
    public init?(_ text: some StringProtocol) {
        guard text.utf8.count <= 64 else { return nil }
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = Self.bytes(of: String(parts[0])) else { return nil }
        var prefix = bytes.count * 8
        if parts.count == 2 {
            guard (1...3).contains(parts[1].count), parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber),
                let value = Int(parts[1]), (0...bytes.count * 8).contains(value)
            else { return nil }
            prefix = value
        }
        self.init(address: bytes, prefixLength: prefix)
    }

    /// The range of `prefixLength` leading bits of `address` (4 or 16 bytes).
    public init(address: [UInt8], prefixLength: Int) {
        precondition(address.count == 4 || address.count == 16, "an IP address has 4 or 16 bytes")
        let length = min(max(prefixLength, 0), address.count * 8)
        self.address = address.enumerated().map { index, byte in
            let kept = min(max(length - index * 8, 0), 8)
            return kept == 8 ? byte : byte & ~(UInt8(0xFF) >> kept)
        }
        self.prefixLength = length
    }

    /// Whether `address` (4 or 16 bytes) is in the range; an address of the other family is not.
    public func contains(_ address: [UInt8]) -> Bool {
        guard address.count == self.address.count else { return false }
        var bits = self.prefixLength
        for (mine, theirs) in zip(self.address, address) where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : ~(UInt8(0xFF) >> bits)
            if mine & mask != theirs & mask { return false }
            bits -= 8
        }
        return true
    }

    /// The bytes of an IPv4 or IPv6 address written as text, `nil` when it is not one.
    public static func bytes(of text: String) -> [UInt8]? {
        guard !text.isEmpty, text.utf8.count <= 45, !text.contains("%") else { return nil }
        guard let address = try? SocketAddress(ipAddress: text, port: 0) else { return nil }
        return Self.bytes(of: address)
    }

    /// The bytes of a socket address's IP, `nil` for a Unix socket.
    public static func bytes(of address: SocketAddress) -> [UInt8]? {
        switch address {
        case .v4(let v4):
            return withUnsafeBytes(of: v4.address.sin_addr.s_addr) { Array($0) }
        case .v6(let v6):
            return withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        case .unixDomainSocket:
            return nil
        }
    }

    /// The address in its usual text form.
    public static func text(of bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        // The longest run of two or more zero groups is written `::`.
        var best: Range<Int>?
        var start: Int?
        for index in 0...groups.count {
            if index < groups.count, groups[index] == 0 {
                if start == nil { start = index }
            } else if let begun = start {
                if index - begun >= 2, index - begun > (best?.count ?? 0) { best = begun..<index }
                start = nil
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard let best else { return hex.joined(separator: ":") }
        return hex[..<best.lowerBound].joined(separator: ":") + "::" + hex[best.upperBound...].joined(separator: ":")
    }

    public var description: String { "\(Self.text(of: self.address))/\(self.prefixLength)" }
}
