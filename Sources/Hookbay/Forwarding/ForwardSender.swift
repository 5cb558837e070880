import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Makes forwarding attempts with async-http-client, connecting only to addresses ``ForwardAddressResolver`` allowed.
///
/// A destination's host is resolved here (kept for ``resolutionLifetime``) and checked by the network policy; the
/// request then goes through a client whose `dnsOverride` maps that host to the checked address, so the client never
/// resolves the name itself: what was checked is what is connected to, with no DNS-rebinding window, while TLS still
/// verifies the certificate for the host name. Clients are kept per destination address and closed once unused.
/// Redirects are not followed, compressed answers are not decoded, and at most ``responseBodyLimit`` bytes of an answer
/// are read.
final class ForwardSender: Sendable {
    /// Bytes of a response body read at most; the rest is not waited for.
    static let responseBodyLimit = 64 * 1024
    /// How long a resolution is used before the host is resolved again.
    static let resolutionLifetime: Duration = .seconds(30)
    /// A client unused this long is closed.
    static let clientIdleLifetime: Duration = .seconds(120)

    /// What one attempt came to, with the first bytes of the answer's body (for the dead-letter error).
    struct Outcome: Sendable {
        var result: ForwardAttempt.Result
        var excerpt: String
    }

    private struct ClientKey: Hashable {
        var host: String
        var port: Int
        var https: Bool
        /// The checked address it connects to; `nil` when the host is an address itself.
        var address: String?
        var maxConnections: Int
    }

    private struct Pooled {
        var client: HTTPClient
        var inUse: Int
        var lastUsed: ContinuousClock.Instant
    }

    private struct Resolution {
        var addresses: [String]
        var at: ContinuousClock.Instant
        var next: Int
    }

    private struct State {
        var clients: [ClientKey: Pooled] = [:]
        var resolutions: [String: Resolution] = [:]
        var closed = false
    }

    let resolver: ForwardAddressResolver
    let eventLoopGroup: any EventLoopGroup
    private let state = Mutex(State())

    init(resolver: ForwardAddressResolver, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.resolver = resolver
        self.eventLoopGroup = eventLoopGroup
    }

    /// Sends `message` to its destination, within `timeout` from connecting to the end of reading the answer.
    func send(_ message: ForwardMessage, timeout: Duration, maxConnections: Int) async -> Outcome {
        let url = message.url
        let address: String?
        do {
            address = try await self.address(host: url.host, port: url.port)
        } catch {
            return Outcome(result: .refused(error.description), excerpt: "")
        }
        let key = ClientKey(host: url.host, port: url.port, https: url.scheme == .https, address: address, maxConnections: maxConnections)
        guard let client = self.lease(key) else { return Outcome(result: .failed("forwarding is stopping"), excerpt: "") }
        defer { self.release(key) }
        var request = HTTPClientRequest(url: url.description)
        request.method = .POST
        for (name, value) in message.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: message.body))
        let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        do {
            let response = try await client.execute(request, deadline: .now() + .milliseconds(milliseconds))
            var excerpt: [UInt8] = []
            var read = 0
            for try await chunk in response.body {
                if excerpt.count < 200 { excerpt += chunk.readableBytesView.prefix(200 - excerpt.count) }
                read += chunk.readableBytes
                if read >= Self.responseBodyLimit { break }
            }
            return Outcome(
                result: .answered(status: Int(response.status.code), retryAfter: response.headers.first(name: "retry-after")),
                excerpt: Self.printable(excerpt))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return Outcome(result: .failed("no answer within \(milliseconds) ms"), excerpt: "")
        } catch {
            return Outcome(result: .failed(Self.describe(error, address: address ?? url.host)), excerpt: "")
        }
    }

    /// One allowed address of `host` (rotating through them), or `nil` when `host` is an allowed address itself.
    private func address(host: String, port: Int) async throws(ForwardAddressResolver.Refusal) -> String? {
        let now = ContinuousClock.now
        let cacheKey = "\(host) \(port)"
        let cached = self.state.withLock { state -> String? in
            guard var resolution = state.resolutions[cacheKey], now - resolution.at < Self.resolutionLifetime else { return nil }
            let address = resolution.addresses[resolution.next % resolution.addresses.count]
            resolution.next &+= 1
            state.resolutions[cacheKey] = resolution
            return address
        }
        if IPNetwork.bytes(of: host) != nil {
            _ = try await self.resolver.resolve(host: host, port: port)
            return nil
        }
        if let cached { return cached }
        let addresses = try await self.resolver.resolve(host: host, port: port).compactMap { IPNetwork.bytes(of: $0).map(IPNetwork.text(of:)) }
        guard let first = addresses.first else { throw .init(description: "\(host) resolves to no address") }
        self.state.withLock { $0.resolutions[cacheKey] = Resolution(addresses: addresses, at: now, next: 1) }
        return first
    }

    private func lease(_ key: ClientKey) -> HTTPClient? {
        self.state.withLock { state -> HTTPClient? in
            guard !state.closed else { return nil }
            if var pooled = state.clients[key] {
                pooled.inUse += 1
                pooled.lastUsed = .now
                state.clients[key] = pooled
                return pooled.client
            }
            var configuration = HTTPClient.Configuration()
            configuration.redirectConfiguration = .disallow
            configuration.decompression = .disabled
            configuration.proxy = nil
            configuration.connectionPool = .init(idleTimeout: .seconds(55), concurrentHTTP1ConnectionsPerHostSoftLimit: key.maxConnections)
            if let address = key.address { configuration.dnsOverride = [key.host: address] }
            let client = HTTPClient(eventLoopGroupProvider: .shared(self.eventLoopGroup), configuration: configuration)
            state.clients[key] = Pooled(client: client, inUse: 1, lastUsed: .now)
            return client
        }
    }

    private func release(_ key: ClientKey) {
        self.state.withLock { state in
            state.clients[key]?.inUse -= 1
            state.clients[key]?.lastUsed = .now
        }
    }

    /// Closes the clients nobody used for ``clientIdleLifetime`` (a destination's address changed, or it went quiet).
    func closeIdleClients() async {
        let now = ContinuousClock.now
        let idle = self.state.withLock { state -> [HTTPClient] in
            let stale = state.clients.filter { $0.value.inUse == 0 && now - $0.value.lastUsed >= Self.clientIdleLifetime }
            for key in stale.keys { state.clients[key] = nil }
            state.resolutions = state.resolutions.filter { now - $0.value.at < Self.resolutionLifetime }
            return stale.values.map(\.client)
        }
        for client in idle { try? await client.shutdown() }
    }

    /// Closes every client; attempts after this fail at once.
    func close() async {
        let clients = self.state.withLock { state -> [HTTPClient] in
            state.closed = true
            defer { state.clients = [:] }
            return state.clients.values.map(\.client)
        }
        for client in clients { try? await client.shutdown() }
    }

    /// Printable ASCII of `bytes`, others as `?`.
    static func printable(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.map { (0x20...0x7e).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    /// A short reason for a failed attempt.
    static func describe(_ error: any Error, address: String) -> String {
        let text = String(describing: error)
        return "cannot reach \(address): " + (text.count > 300 ? String(text.prefix(300)) + "..." : text)
    }
}
