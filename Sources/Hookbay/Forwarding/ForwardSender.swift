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
        /// The address used now; moved on after a failed attempt.
        var current: Int
    }

    private typealias Lookup = Result<[String], ForwardAddressResolver.Refusal>

    private struct State {
        var clients: [ClientKey: Pooled] = [:]
        var resolutions: [String: Resolution] = [:]
        /// Lookups under way, by host and port: the attempts waiting for each (one lookup per host at a time).
        var lookups: [String: [Int: CheckedContinuation<Lookup, Never>]] = [:]
        var nextWaiter = 0
        var closed = false
    }

    let resolver: ForwardAddressResolver
    let eventLoopGroup: any EventLoopGroup
    private let state = Mutex(State())

    init(resolver: ForwardAddressResolver, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.resolver = resolver
        self.eventLoopGroup = eventLoopGroup
    }

    /// Sends `message` to its destination within `timeout`, from resolving its host to the end of reading the answer:
    /// past it the attempt is cancelled (its connection closed) and fails.
    func send(_ message: ForwardMessage, timeout: Duration, maxConnections: Int) async -> Outcome {
        let deadline = ContinuousClock.now + timeout
        let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        return await withTaskGroup(of: Outcome?.self) { group in
            group.addTask { await self.attempt(message, deadline: deadline, maxConnections: maxConnections) }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? Outcome(result: .failed("no answer within \(milliseconds) ms"), excerpt: "")
        }
    }

    private func attempt(_ message: ForwardMessage, deadline: ContinuousClock.Instant, maxConnections: Int) async -> Outcome {
        let url = message.url
        let address: String?
        do {
            address = try await self.address(host: url.host, port: url.port)
        } catch {
            return Outcome(result: error.byPolicy ? .refused(error.description) : .failed(error.description), excerpt: "")
        }
        let key = ClientKey(host: url.host, port: url.port, https: url.scheme == .https, address: address, maxConnections: maxConnections)
        guard let client = self.lease(key) else { return Outcome(result: .failed("forwarding is stopping"), excerpt: "") }
        defer { self.release(key) }
        var request = HTTPClientRequest(url: url.description)
        request.method = .POST
        for (name, value) in message.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: message.body))
        let left = deadline - ContinuousClock.now
        let nanoseconds = max(1, left.components.seconds * 1_000_000_000 + left.components.attoseconds / 1_000_000_000)
        do {
            let response = try await client.execute(request, deadline: .now() + .nanoseconds(nanoseconds))
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
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            return Outcome(result: .failed("no answer in time from \(address ?? url.host)"), excerpt: "")
        } catch {
            if address != nil { self.moveOn(host: url.host, port: url.port, from: address) }
            return Outcome(result: .failed(Self.describe(error, address: address ?? url.host)), excerpt: "")
        }
    }

    /// The allowed address of `host` to use now, or `nil` when `host` is an allowed address itself. A name is looked
    /// up again once its answer is ``resolutionLifetime`` old: in the background, the old answer (checked when it came)
    /// used meanwhile, so a slow or failing DNS server delays nothing; after a failed lookup, the next is 5 s later.
    private func address(host: String, port: Int) async throws(ForwardAddressResolver.Refusal) -> String? {
        if IPNetwork.bytes(of: host) != nil {
            _ = try await self.resolver.resolve(host: host, port: port)
            return nil
        }
        let key = "\(host) \(port)"
        let now = ContinuousClock.now
        if let cached = self.state.withLock({ $0.resolutions[key] }) {
            if now - cached.at >= Self.resolutionLifetime, self.state.withLock({ $0.lookups[key] == nil }) {
                Task { _ = await self.lookUp(host: host, port: port) }
            }
            return cached.addresses[cached.current % cached.addresses.count]
        }
        switch await self.lookUp(host: host, port: port) {
        case .success(let addresses): return addresses[0]
        case .failure(let refusal): throw refusal
        }
    }

    /// Resolves `host` once for every attempt that asks while a lookup is under way; an attempt cancelled meanwhile
    /// stops waiting (the lookup goes on for the others, and fills the cache).
    private func lookUp(host: String, port: Int) async -> Lookup {
        let key = "\(host) \(port)"
        let waiter = self.state.withLock { state -> Int in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Lookup, Never>) in
                let first = self.state.withLock { state -> Bool in
                    let first = state.lookups[key] == nil
                    state.lookups[key, default: [:]][waiter] = continuation
                    return first
                }
                // Cancelled before it was registered (the handler found nothing to resume): stop waiting now, unless
                // the handler or the lookup took it meanwhile.
                if Task.isCancelled, let own = self.state.withLock({ $0.lookups[key]?.removeValue(forKey: waiter) }) {
                    own.resume(returning: .failure(.init(description: "cancelled while resolving \(host)")))
                }
                guard first else { return }
                Task {
                    let result: Lookup
                    do throws(ForwardAddressResolver.Refusal) {
                        let found = try await self.resolver.resolve(host: host, port: port)
                        result = .success(found.compactMap { IPNetwork.bytes(of: $0).map(IPNetwork.text(of:)) })
                    } catch {
                        result = .failure(error)
                    }
                    let waiting = self.state.withLock { state -> [CheckedContinuation<Lookup, Never>] in
                        switch result {
                        case .success(let addresses) where !addresses.isEmpty:
                            state.resolutions[key] = Resolution(addresses: addresses, at: .now, current: 0)
                        case .failure(let refusal) where refusal.byPolicy:
                            // The name now resolves only to refused addresses: the old answer is not used again.
                            state.resolutions[key] = nil
                        default:
                            // A failed lookup: the old answer stays in use, looked up again in 5 s.
                            state.resolutions[key]?.at = .now - Self.resolutionLifetime + .seconds(5)
                        }
                        return Array((state.lookups.removeValue(forKey: key) ?? [:]).values)
                    }
                    let answer: Lookup = result.flatMap { $0.isEmpty ? .failure(.init(description: "\(host) resolves to no address")) : .success($0) }
                    for continuation in waiting { continuation.resume(returning: answer) }
                }
            }
        } onCancel: {
            let continuation = self.state.withLock { $0.lookups[key]?.removeValue(forKey: waiter) }
            continuation?.resume(returning: .failure(.init(description: "cancelled while resolving \(host)")))
        }
    }

    /// After a failed attempt at `address`, the next attempts at `host` use its next address (if it has several).
    private func moveOn(host: String, port: Int, from address: String?) {
        self.state.withLock { state in
            let key = "\(host) \(port)"
            guard var resolution = state.resolutions[key], resolution.addresses[resolution.current % resolution.addresses.count] == address else {
                return
            }
            resolution.current &+= 1
            state.resolutions[key] = resolution
        }
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
            // Kept past their lifetime for a while: the answer to fall back on when a lookup fails.
            state.resolutions = state.resolutions.filter { now - $0.value.at < Self.resolutionLifetime * 10 }
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
