/// Which addresses forwarding may connect to: any public address, and the ranges an operator opened
/// (`--forward-allow-network`); never, unless opened, loopback, private, shared (CGNAT), link-local (the cloud
/// metadata service at 169.254.169.254 among them), unique-local, multicast, unspecified or reserved addresses, nor
/// IPv6 forms that carry such an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4).
///
/// It is asked about the address a connection is actually made to, after name resolution, so a name that resolves to
/// a public address when checked and to a private one when connecting cannot slip through.
public struct ForwardNetworkPolicy: Sendable, Equatable {
    /// A range refused by default, and why.
    public struct Refused: Sendable, Equatable {
        public var network: IPNetwork
        public var kind: String
    }

    /// The ranges refused unless opened.
    public static let refused: [Refused] = [
        ("0.0.0.0/8", "an unspecified (\"this network\") address"),
        ("10.0.0.0/8", "a private address (RFC 1918)"),
        ("100.64.0.0/10", "a shared (carrier-grade NAT, RFC 6598) address"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address (the cloud metadata service among them)"),
        ("172.16.0.0/12", "a private address (RFC 1918)"),
        ("192.0.0.0/24", "an IETF protocol assignment address"),
        ("192.0.2.0/24", "a documentation address"),
        ("192.168.0.0/16", "a private address (RFC 1918)"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved address"),
        ("::/128", "the unspecified address"),
        ("::1/128", "a loopback address"),
        ("fc00::/7", "a unique-local address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a site-local address"),
        ("ff00::/8", "a multicast address"),
        ("2001:db8::/32", "a documentation address"),
        ("100::/64", "a discard-only address"),
        ("64:ff9b:1::/48", "a local-use NAT64 address (RFC 8215)"),
        ("2001::/32", "a Teredo address"),
        ("192.88.99.0/24", "a 6to4 relay anycast address"),
        ("3fff::/20", "a documentation address"),
    ].map { Refused(network: IPNetwork($0.0)!, kind: $0.1) }

    /// Ranges opened by the operator: addresses in them are allowed whatever the defaults say.
    public var allowed: [IPNetwork]

    public init(allowed: [IPNetwork] = []) {
        self.allowed = allowed
    }

    /// Why a connection to `address` (4 or 16 bytes) is refused, or `nil` when it is allowed.
    public func refusal(_ address: [UInt8]) -> String? {
        if self.allowed.contains(where: { $0.contains(address) }) { return nil }
        let text = IPNetwork.text(of: address)
        if let embedded = Self.embeddedIPv4(address) {
            if self.allowed.contains(where: { $0.contains(embedded) }) { return nil }
            if let reason = self.refusal(embedded) {
                return "\(text) carries \(reason)"
            }
        }
        guard let refused = Self.refused.first(where: { $0.network.contains(address) }) else { return nil }
        return "\(text) is \(refused.kind) (\(refused.network)); open it with --forward-allow-network if it is meant"
    }

    /// The IPv4 address an IPv6 one carries: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, the
    /// unspecified and loopback addresses aside), IPv4-translated (`::ffff:0:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) and
    /// 6to4 (`2002:AABB:CCDD::`).
    static func embeddedIPv4(_ address: [UInt8]) -> [UInt8]? {
        guard address.count == 16 else { return nil }
        let head = address[0..<12]
        if head.elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]) { return Array(address[12...]) }
        // IPv4-translated (SIIT, `::ffff:0:a.b.c.d`).
        if head.elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0]) { return Array(address[12...]) }
        if head.allSatisfy({ $0 == 0 }), address[12...].contains(where: { $0 != 0 }), address != Array(repeating: 0, count: 15) + [1] {
            return Array(address[12...])
        }
        if address[0..<12].elementsEqual([0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]) { return Array(address[12...]) }
        if address[0] == 0x20, address[1] == 0x02 { return Array(address[2..<6]) }
        return nil
    }
}
