import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Turns a destination's host into the addresses forwarding may connect to: resolved once (`getaddrinfo`, on NIO's
/// thread pool, never on an event loop), then kept only where ``ForwardNetworkPolicy`` allows. The connection is made
/// to one of the addresses returned, never to the name again, so what was checked is what is connected to.
public struct ForwardAddressResolver: Sendable {
    /// Why no address may be used.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        /// Whether the policy refused every address found (waiting will not change it); otherwise the name could not
        /// be resolved now (a DNS failure may pass).
        public var byPolicy: Bool = false
    }

    /// The threads `getaddrinfo` blocks on: forwarding's own, so a DNS server that hangs holds none of NIO's shared
    /// pool (file reads and the rest), and hosts wait for each other only past four lookups hanging at once.
    static let lookups: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    /// Addresses kept from one answer at most.
    public static let maxAddresses = 16

    public let policy: ForwardNetworkPolicy

    public init(policy: ForwardNetworkPolicy) {
        self.policy = policy
    }

    /// The allowed addresses of `host` (a name, or an IP literal) on `port`; a ``Refusal`` naming every refused
    /// address when none is allowed, or saying the name does not resolve.
    public func resolve(host: String, port: Int) async throws(Refusal) -> [SocketAddress] {
        let found: [SocketAddress]
        if let literal = IPNetwork.bytes(of: host) {
            guard let address = Self.socketAddress(literal, port: port) else { throw Refusal(description: "\(host) is not an address") }
            found = [address]
        } else {
            do {
                found = try await Self.lookups.runIfActive { try Self.lookUp(host, port: port) }
            } catch let refusal as Refusal {
                throw refusal
            } catch {
                throw Refusal(description: "cannot resolve \(host): \(error)")
            }
        }
        return try self.allowed(found, host: host)
    }

    /// `addresses` that the policy allows, in order; a ``Refusal`` naming why each was refused when none is.
    public func allowed(_ addresses: [SocketAddress], host: String) throws(Refusal) -> [SocketAddress] {
        var allowed: [SocketAddress] = []
        var reasons: [String] = []
        for address in addresses.prefix(Self.maxAddresses) {
            guard let bytes = IPNetwork.bytes(of: address) else { continue }
            if let reason = self.policy.refusal(bytes) {
                if !reasons.contains(reason) { reasons.append(reason) }
            } else {
                allowed.append(address)
            }
        }
        guard !allowed.isEmpty else {
            throw Refusal(
                description: reasons.isEmpty
                    ? "\(host) resolves to no address" : "refused to connect to \(host): " + reasons.joined(separator: "; "),
                byPolicy: !reasons.isEmpty)
        }
        return allowed
    }

    static func socketAddress(_ bytes: [UInt8], port: Int) -> SocketAddress? {
        try? SocketAddress(ipAddress: IPNetwork.text(of: bytes), port: port)
    }

    /// `getaddrinfo` for TCP: a blocking call, run on the thread pool.
    static func lookUp(_ host: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0 else {
            throw Refusal(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(result) }
        var addresses: [SocketAddress] = []
        var next = result
        while let info = next?.pointee, addresses.count < Self.maxAddresses * 2 {
            if let raw = info.ai_addr {
                switch Int32(info.ai_family) {
                case AF_INET:
                    addresses.append(raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: host) })
                case AF_INET6:
                    addresses.append(raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: host) })
                default:
                    break
                }
            }
            next = info.ai_next
        }
        return addresses
    }
}
