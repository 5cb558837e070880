import Foundation
import NIOCore

/// The address a delivery came from, for a platform's `allow_ips`: the connection's peer, or, when the peer is a
/// trusted proxy (`--trusted-proxy`), the rightmost `X-Forwarded-For` address that is not itself a trusted proxy.
///
/// A client can write anything in `X-Forwarded-For`; only what trusted proxies appended is believed, which is why the
/// list is read from the right. The header is bounded (``maxHeaderBytes``, ``maxEntries``); an entry that is not an
/// address where one was expected gives no client at all, which no `allow_ips` admits.
public enum ClientAddress {
    /// The longest `X-Forwarded-For` read.
    public static let maxHeaderBytes = 4096
    /// The most entries read from its right.
    public static let maxEntries = 64

    /// The client's address bytes (4 for IPv4, IPv4-mapped IPv6 included; 16 for IPv6), or `nil` when unknown.
    public static func resolve(peer: [UInt8]?, forwardedFor: String?, trusted: [IPNetwork]) -> [UInt8]? {
        guard let peer = peer.map(Self.unmapped) else { return nil }
        guard !trusted.isEmpty, trusted.contains(where: { $0.contains(peer) }) else { return peer }
        // A trusted proxy that does not say who it forwards for: not the proxy itself, nobody.
        guard let forwardedFor, !forwardedFor.isEmpty else { return nil }
        guard forwardedFor.utf8.count <= Self.maxHeaderBytes else { return nil }
        var last = peer
        for (index, entry) in forwardedFor.split(separator: ",").reversed().enumerated() {
            guard index < Self.maxEntries else { return nil }
            guard let address = Self.address(entry) else { return nil }
            guard trusted.contains(where: { $0.contains(address) }) else { return address }
            last = address
        }
        // Every hop is a trusted proxy: the leftmost is where the request began.
        return last
    }

    /// One `X-Forwarded-For` entry: `a.b.c.d`, `a.b.c.d:port`, an IPv6 address, or `[v6]` / `[v6]:port`.
    static func address(_ entry: Substring) -> [UInt8]? {
        var text = entry.trimmingOWS
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isNumber)) else { return nil }
            text = text[text.index(after: text.startIndex)..<close]
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            guard text[text.index(after: colon)...].allSatisfy(\.isNumber) else { return nil }
            text = text[..<colon]
        }
        return IPNetwork.bytes(of: String(text)).map(Self.unmapped)
    }

    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack socket reports) as the IPv4 address: clients
    /// are matched as such, so ranges are too (``IPNetwork/asClientRange``).
    static func unmapped(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else { return bytes }
        return Array(bytes[12...])
    }

    /// The peer's address bytes.
    public static func bytes(of peer: SocketAddress?) -> [UInt8]? {
        peer.flatMap(IPNetwork.bytes(of:))
    }
}

extension IPNetwork {
    /// The range as client addresses are matched against it: an IPv4-mapped IPv6 range (`::ffff:192.0.2.0/120`) is the
    /// IPv4 range it maps (`192.0.2.0/24`), because a client's mapped address is matched as IPv4; otherwise itself.
    /// (An IPv6 range wider than the mapped block, such as `::/0`, matches no IPv4 client.)
    public var asClientRange: IPNetwork {
        guard self.address.count == 16, self.prefixLength >= 96, ClientAddress.unmapped(self.address).count == 4 else { return self }
        return IPNetwork(address: Array(self.address[12...]), prefixLength: self.prefixLength - 96)
    }
}
