import HTTPTypes
import HookbayJSON
import Hummingbird
import Logging
import NIOCore

/// The HTTP API: receiving webhooks, the seed's metrics and stats, and health checks.
public struct WebhookRoutes: Sendable {
    public let receiver: WebhookReceiver
    public let store: any ContentStore
    /// The largest body accepted, in bytes.
    public let maxBodyBytes: Int
    /// Who may see why the queue is unreachable on `/readyz` (its address and error text are for operators only).
    public let authenticator: AdminAuthenticator

    public init(
        receiver: WebhookReceiver, store: any ContentStore, maxBodyBytes: Int, authenticator: AdminAuthenticator = AdminAuthenticator(token: nil)
    ) {
        self.receiver = receiver
        self.store = store
        self.maxBodyBytes = maxBodyBytes
        self.authenticator = authenticator
    }

    /// Adds the routes to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/api/v1/webhooks/metrics") { _, _ in self.metrics() }
        router.get("/api/v1/webhooks/metrics/history") { _, _ in self.history() }
        router.get("/api/v1/webhooks/stats") { _, _ in try await self.stats() }
        router.post("/api/v1/webhooks/{platform}") { request, context in
            let platform = context.parameters.get("platform") ?? ""
            do {
                return try await self.receive(
                    request, platform: platform, peer: (context as? any RemoteAddressRequestContext)?.remoteAddress, logger: context.logger)
            } catch let error as WebhookError {
                self.receiver.noteRefused(
                    error, platform: platform, requestID: context.id,
                    remoteAddress: (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress)
                throw error
            }
        }
        router.get("/api/v1/webhooks/{platform}") { request, context in
            let platform = context.parameters.get("platform") ?? ""
            let peer = (context as? any RemoteAddressRequestContext)?.remoteAddress
            do throws(WebhookError) {
                return try self.handshake(request, platform: platform, peer: peer)
            } catch {
                self.receiver.noteRefused(error, platform: platform, requestID: context.id, remoteAddress: peer?.ipAddress)
                throw error
            }
        }
        router.get("/api/v1/content/{platform}/{content_id}") { _, context in
            try await self.content(platform: context.parameters.get("platform") ?? "", contentID: context.parameters.get("content_id") ?? "")
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.receiver.metrics.prometheusText())))
        }
        router.get("/healthz") { _, _ in Self.json(#"{"status":"alive"}"#) }
        router.get("/readyz") { request, _ in
            let detailed = (try? self.authenticator.authenticate(request)) != nil
            return await self.ready(detailed: detailed)
        }
    }

    /// `POST /api/v1/webhooks/{platform}`.
    func receive(_ request: Request, platform id: String, peer: SocketAddress? = nil, logger: Logger) async throws -> Response {
        // 1. The body's size, before reading more than the limit.
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > self.maxBodyBytes {
            throw WebhookError.payloadTooLarge(limit: self.maxBodyBytes)
        }
        let body: ByteBuffer
        do {
            var request = request
            body = try await request.collectBody(upTo: self.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw WebhookError.payloadTooLarge(limit: self.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            // A chunked body passing the limit: the same JSON refusal as a declared length over it.
            throw WebhookError.payloadTooLarge(limit: self.maxBodyBytes)
        }
        // 2. – 7.
        let platform = try self.receiver.platform(id)
        let start = ContinuousClock.now
        defer { self.receiver.metrics.observe(.receive, platform: id, ContinuousClock.now - start) }
        let outcome = try await self.receiver.receive(platform: platform, body: body, headers: request.headers, peer: peer, logger: logger)
        let (status, text) = Self.answer(outcome)
        return Self.json(text, status: status)
    }

    /// `GET /api/v1/webhooks/{platform}`: a sender's handshake (Meta's `hub.challenge`, X's CRC), answered and counted.
    /// Refusals are counted by reason like deliveries'. Wrong verify tokens take from a small bucket per platform
    /// (``RateLimiter/handshakeLimit``): past it, guesses are `429`. A right token is answered whatever the bucket holds,
    /// so no one can block the sender's own handshake by guessing.
    func handshake(_ request: Request, platform id: String, peer: SocketAddress?) throws(WebhookError) -> Response {
        guard let served = self.receiver.platforms.platform(id) else {
            self.receiver.metrics.recordUnknownPlatform()
            throw .unsupportedPlatform(id)
        }
        let config = served.config
        // A GET to a platform without a GET handshake (a browser, a probe) is not a refused delivery: not counted.
        guard config.handshake?.isGET == true else {
            throw WebhookError(.notFound, .notFound, "platform '\(id)' has no GET handshake; deliveries are POSTed")
        }
        let answer: (contentType: String, body: String)
        do throws(WebhookError) {
            guard config.enabled else { throw .platformDisabled(id) }
            try self.receiver.checkClient(platform: config, header: { name in HTTPField.Name(name).flatMap { request.headers[$0] } }, peer: peer)
            let query = request.uri.queryParameters
            do throws(WebhookError) {
                answer = try HandshakeReply.get(
                    config.handshake, platform: id, query: { name in query.get(name).map { String($0) } }, secret: config.secrets.first?.bytes,
                    token: config.handshakeToken?.bytes)
            } catch  where error.code == .forbidden {
                if case .denied(let wait) = self.receiver.rateLimiter.admitHandshake(platform: id) {
                    throw .rateLimited(id, retryAfterSeconds: RateLimiter.retryAfterSeconds(nanoseconds: wait))
                }
                throw error
            }
        } catch {
            self.receiver.countRefusal(error, platform: id)
            throw error
        }
        self.receiver.metrics.record(.handshake, platform: id)
        return Response(status: .ok, headers: [.contentType: answer.contentType], body: .init(byteBuffer: ByteBuffer(string: answer.body)))
    }

    /// The answer to a delivery that passed every check: its status and JSON body. The router and the event-loop path
    /// (``WebhookChannelHandler``) both answer with it.
    static func answer(_ outcome: WebhookReceiver.Outcome) -> (status: HTTPResponse.Status, body: String) {
        switch outcome {
        case .accepted(let eventID, _):
            return (.accepted, #"{"event_id":"\#(eventID)","status":"accepted"}"#)
        case .duplicate(let eventID):
            return (.ok, #"{"event_id":"\#(eventID)","status":"duplicate"}"#)
        case .handshake(let body):
            return (.ok, body)
        case .ignored(let eventType):
            return (
                .ok,
                String(
                    decoding: CanonicalJSON.encode(
                        .object([
                            "status": .string("ignored"), "event_type": .string(eventType),
                            "message": .string("the platform is not subscribed to this event type"),
                        ])), as: UTF8.self)
            )
        }
    }

    /// `GET /api/v1/webhooks/metrics`.
    func metrics() -> Response {
        let (total, platforms) = self.receiver.metrics.snapshot()
        let refusals = self.receiver.metrics.refusals()
        var members: [String: JSONValue] = Self.counters(total)
        members["platforms"] = .object(
            Dictionary(
                uniqueKeysWithValues: platforms.map { platform, counters in
                    var members = Self.counters(counters)
                    members["refused"] = .object((refusals[platform] ?? [:]).mapValues { .number(String($0)) })
                    return (platform, JSONValue.object(members))
                }))
        members["destinations"] = .object(
            self.receiver.metrics.forward.snapshot().mapValues { destinations in
                .object(
                    destinations.mapValues { d in
                        .object([
                            "delivered": .number(String(d.delivered)), "retried": .number(String(d.retried)),
                            "dead_lettered": .number(String(d.deadLettered)), "circuit": .string(d.circuit),
                        ])
                    })
            })
        return Self.json(String(decoding: CanonicalJSON.encode(.object(members)), as: UTF8.self))
    }

    /// `GET /api/v1/webhooks/metrics/history`: each platform's traffic per interval over the last minutes, oldest first
    /// (encoded once per sample).
    func history() -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: self.receiver.metrics.history.json)))
    }

    /// `GET /api/v1/webhooks/stats`, read from the queue.
    func stats() async throws -> Response {
        var total = PlatformQueueStats()
        var perPlatform: [String: JSONValue] = [:]
        for platform in self.receiver.platforms.all {
            let stats: PlatformQueueStats
            do {
                stats = try await self.receiver.queue.stats(platform: platform.id)
            } catch {
                throw WebhookError(.serviceUnavailable, .queueUnavailable, "cannot read queue statistics: \(error)", retryAfterSeconds: 5)
            }
            total.pending += stats.pending
            total.processing += stats.processing
            total.deadLetter += stats.deadLetter
            total.processed += stats.processed
            var members = Self.stats(stats)
            if !platform.config.destinations.isEmpty {
                var destinations: [String: JSONValue] = [:]
                for destination in platform.config.destinations {
                    let lane = QueueKeys.lane(platform: platform.id, destination: destination.name)
                    do {
                        destinations[destination.name] = .object(Self.stats(try await self.receiver.queue.stats(platform: lane)))
                    } catch {
                        throw WebhookError(.serviceUnavailable, .queueUnavailable, "cannot read queue statistics: \(error)", retryAfterSeconds: 5)
                    }
                }
                members["destinations"] = .object(destinations)
            }
            perPlatform[platform.id] = .object(members)
        }
        var members = Self.stats(total)
        members["platforms"] = .object(perPlatform)
        return Self.json(String(decoding: CanonicalJSON.encode(.object(members)), as: UTF8.self))
    }

    /// `GET /api/v1/content/{platform}/{content_id}`: the content row, 404 when unknown.
    func content(platform: String, contentID: String) async throws -> Response {
        let record: ContentRecord?
        do {
            // An id no store keeps is not there (PostgreSQL would refuse the NUL in the query itself).
            let storable = !contentID.utf8.contains(0) && contentID.utf8.count <= ContentApplication.maxIDBytes
            record = storable ? try await self.store.content(platform: platform, contentID: contentID) : nil
        } catch {
            throw WebhookError(.serviceUnavailable, .internalError, "cannot read the content database", retryAfterSeconds: 5)
        }
        guard let record else {
            throw WebhookError(.notFound, .notFound, "no content '\(contentID)' on platform '\(platform)'")
        }
        return Self.json(String(decoding: CanonicalJSON.encode(record.json), as: UTF8.self))
    }

    /// `GET /readyz`: 200 when the queue answers, 503 otherwise; why only with `detailed` (the admin token).
    func ready(detailed: Bool = false) async -> Response {
        let queue = self.receiver.queue
        let platforms = self.receiver.platforms.all.count
        do {
            try await queue.ping()
            return Self.json(#"{"status":"ready","queue":"\#(queue.backendName)","durable":\#(queue.isDurable),"platforms":\#(platforms)}"#)
        } catch {
            var body: [UInt8] = Array(#"{"status":"unavailable","queue":"\#(queue.backendName)","message":"#.utf8)
            CanonicalJSON.writeString(detailed ? "queue unreachable: \(error)" : "queue unreachable (details with the admin token)", into: &body)
            body.append(UInt8(ascii: "}"))
            return Self.json(String(decoding: body, as: UTF8.self), status: .serviceUnavailable)
        }
    }

    private static func counters(_ c: WebhookMetrics.Counters) -> [String: JSONValue] {
        func percent(_ part: Int) -> JSONValue {
            guard c.received > 0 else { return .number("0") }
            let value = (Double(part) / Double(c.received) * 10000).rounded() / 100
            return .number(String(value))
        }
        return [
            "received": .number(String(c.received)),
            "accepted": .number(String(c.accepted)),
            "processed": .number(String(c.processed)),
            "failed": .number(String(c.failed)),
            "duplicates": .number(String(c.duplicates)),
            "rate_limited": .number(String(c.rateLimited)),
            "ignored": .number(String(c.ignored)),
            "handshakes": .number(String(c.handshakes)),
            "success_rate": percent(c.accepted + c.duplicates),
            "failure_rate": percent(c.failed),
        ]
    }

    private static func stats(_ s: PlatformQueueStats) -> [String: JSONValue] {
        [
            "pending_count": .number(String(s.pending)),
            "processing_count": .number(String(s.processing)),
            "dead_letter_count": .number(String(s.deadLetter)),
            "total_processed": .number(String(s.processed)),
        ]
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
