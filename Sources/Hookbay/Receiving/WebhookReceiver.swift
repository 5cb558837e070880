import HTTPTypes
import HookbayJSON
import HookbayPluginKit
import Logging
import NIOCore

/// The receive pipeline after the body is read: platform → signature → rate limit → payload → dedup + enqueue.
///
/// Each step refuses with its own ``WebhookError``; a 2xx is only ever answered after the queue confirmed the event.
public struct WebhookReceiver: Sendable {
    /// What a delivery that passed every check became.
    public enum Outcome: Sendable, Equatable {
        case accepted(eventID: String, streamID: String)
        case duplicate(eventID: String)
        /// Authentic, but of a type the platform did not subscribe to: not queued.
        case ignored(eventType: String)
        /// The sender's endpoint handshake, answered with this JSON: not queued.
        case handshake(body: String)
    }

    public let platforms: PlatformRegistry
    public let queue: any WebhookQueue
    public let rateLimiter: RateLimiter
    public let metrics: WebhookMetrics
    /// Refusals logged at debug each, summarised at info per interval.
    public let refusals = RefusalLog()
    /// The last refused deliveries, with who sent them (`GET /api/v1/admin/refusals`).
    public let recentRefusals = RecentRefusals()

    /// Proxies whose `X-Forwarded-For` is believed, for platforms' `allow_ips` (``ClientAddress``).
    public let trustedProxies: [IPNetwork]
    /// The largest body, decoded (a compressed one is inflated up to it).
    public let maxBodyBytes: Int
    /// The process-wide budget an inflated body's decoded bytes count against (none: not counted).
    public let limits: ReceiveLimits?

    public init(
        platforms: PlatformRegistry, queue: any WebhookQueue, rateLimiter: RateLimiter, metrics: WebhookMetrics, trustedProxies: [IPNetwork] = [],
        maxBodyBytes: Int = 1 << 20, limits: ReceiveLimits? = nil
    ) {
        self.limits = limits
        self.trustedProxies = trustedProxies
        self.maxBodyBytes = maxBodyBytes
        self.platforms = platforms
        self.queue = queue
        self.rateLimiter = rateLimiter
        self.metrics = metrics
    }

    /// Keeps a refused delivery among the recent ones (`GET /api/v1/admin/refusals`), with who sent it.
    public func noteRefused(_ error: WebhookError, platform: String, requestID: String, remoteAddress: String?) {
        let served = error.code != .unsupportedPlatform && self.platforms.platform(platform) != nil
        self.recentRefusals.record(error, platform: platform, served: served, requestID: requestID, remoteAddress: remoteAddress)
    }

    /// The platform a request addresses, if it is served and enabled.
    public func platform(_ id: String) throws(WebhookError) -> ServedPlatform {
        guard let platform = self.platforms.platform(id) else {
            self.metrics.recordUnknownPlatform()
            throw .unsupportedPlatform(id)
        }
        self.metrics.record(.received, platform: id)
        guard platform.config.enabled else {
            self.metrics.recordRejected(platform: id, reason: WebhookError.Code.platformDisabled.rawValue)
            throw .platformDisabled(id)
        }
        return platform
    }

    /// What the checks made of a delivery, before the queue: what to enqueue, or nothing to enqueue.
    public enum Admission: Sendable {
        /// Authentic, but of a type the platform did not subscribe to: answered without queueing.
        case ignored(eventType: String)
        /// The sender's endpoint handshake: answered with this JSON, without queueing.
        case handshake(body: String)
        /// To hand to the queue, remembered for `ttlSeconds` against duplicates.
        case enqueue(QueuedEvent, ttlSeconds: Int)
    }

    /// Runs the checks after the platform look-up, and queues the event.
    public func receive(
        platform: ServedPlatform, body: ByteBuffer, headers: HTTPFields, peer: SocketAddress? = nil, logger: Logger
    ) async throws(WebhookError) -> Outcome {
        let header: (String) -> String? = { name in HTTPField.Name(name).flatMap { headers[$0] } }
        switch try self.admit(platform: platform, body: body, header: header, peer: peer, logger: logger) {
        case .ignored(let eventType):
            return .ignored(eventType: eventType)
        case .handshake(let body):
            return .handshake(body: body)
        case .enqueue(let event, let ttlSeconds):
            let start = ContinuousClock.now
            let result: Result<EnqueueResult, QueueError>
            do {
                result = .success(try await self.queue.enqueue(event, ttlSeconds: ttlSeconds))
            } catch {
                result = .failure(error)
            }
            return try self.settle(result, event: event, enqueueStartedAt: start, logger: logger).get()
        }
    }

    /// Every check before the queue, synchronously: signature, rate limit, envelope, timestamp, subscription and the
    /// adapter's validation. A refusal is counted in the metrics and thrown.
    /// - Parameters:
    ///   - header: a request header's value by name (any case); several of one name joined with ", ".
    ///   - peer: the connection's peer, for the platform's `allow_ips`.
    public func admit(
        platform: ServedPlatform, body: ByteBuffer, header: (String) -> String?, peer: SocketAddress? = nil, logger: Logger
    ) throws(WebhookError) -> Admission {
        do {
            try self.checkClient(platform: platform.config, header: header, peer: peer)
            return try self.check(platform: platform, body: body, header: header, logger: logger)
        } catch {
            self.countRefusal(error, platform: platform.id)
            self.refusals.record(error, platform: platform.id, logger: logger)
            throw error
        }
    }

    /// The queue's answer for an admitted event, as the outcome to answer with (or the refusal), counted and logged.
    public func settle(
        _ result: Result<EnqueueResult, QueueError>, event: QueuedEvent, enqueueStartedAt start: ContinuousClock.Instant,
        logger: Logger
    ) -> Result<Outcome, WebhookError> {
        let platform = event.platform
        self.release(event.reservedBytes)
        self.metrics.observe(.enqueue, platform: platform, ContinuousClock.now - start)
        switch result {
        case .failure(let error):
            logger.error(
                "queue unavailable; webhook refused with 503",
                metadata: ["platform": .string(platform), "event_id": .string(event.eventID), "error": .string(error.description)]
            )
            self.countRefusal(.queueUnavailable, platform: platform)
            return .failure(.queueUnavailable)
        case .success(.accepted(let streamID)):
            self.metrics.record(.accepted, platform: platform)
            logger.debug("accepted", metadata: ["platform": .string(platform), "event_id": .string(event.eventID), "stream_id": .string(streamID)])
            return .success(.accepted(eventID: event.eventID, streamID: streamID))
        case .success(.duplicate):
            self.metrics.record(.duplicate, platform: platform)
            logger.debug("duplicate", metadata: ["platform": .string(platform), "event_id": .string(event.eventID)])
            return .success(.duplicate(eventID: event.eventID))
        case .success(.rateLimited(let wait)):
            let nanoseconds = self.rateLimiter.noteSharedBucketEmpty(platform: platform, milliseconds: wait)
            let error = WebhookError.rateLimited(platform, retryAfterSeconds: RateLimiter.retryAfterSeconds(nanoseconds: nanoseconds))
            self.countRefusal(error, platform: platform)
            self.refusals.record(error, platform: platform, logger: logger)
            return .failure(error)
        }
    }

    /// A platform with `allow_ips` admits only clients in them, before any signature work.
    func checkClient(platform: PlatformConfig, header: (String) -> String?, peer: SocketAddress?) throws(WebhookError) {
        guard let allowed = platform.allowIPs else { return }
        let client = ClientAddress.resolve(
            peer: ClientAddress.bytes(of: peer), forwardedFor: self.trustedProxies.isEmpty ? nil : header("X-Forwarded-For"),
            trusted: self.trustedProxies)
        guard let client, allowed.contains(where: { $0.contains(client) }) else {
            throw .ipNotAllowed(platform.id, client: client.map(IPNetwork.text(of:)) ?? "an unknown address")
        }
    }

    /// Counts a refusal in the metrics: a rate limit as such, anything else by its code.
    func countRefusal(_ error: WebhookError, platform: String) {
        if error.code == .rateLimitExceeded {
            self.metrics.record(.rateLimited, platform: platform)
        } else {
            self.metrics.recordRejected(platform: platform, reason: error.code.rawValue)
        }
    }

    private func check(platform served: ServedPlatform, body: ByteBuffer, header: (String) -> String?, logger: Logger) throws(WebhookError)
        -> Admission
    {
        let platform = served.config
        guard served.hasSecrets else { throw .secretUnavailable(platform.id) }

        // Signature first, over the raw bytes (a compressed body's decoded ones unless signed_body: encoded): a forged
        // request must not consume the platform's rate tokens. A body the signature covers as sent is inflated only
        // once it is authentic.
        let now = WallClock.milliseconds()
        let contentEncoding = header("Content-Encoding")
        let encoding = ContentDecoding.isIdentity(contentEncoding) ? nil : contentEncoding
        // A token signs no body: it is checked before anything is inflated.
        let signedAsSent = encoding == nil || platform.signature.signedBody == .encoded || platform.signature.scheme.family == .token
        var reserved = 0
        var plain = body
        if !signedAsSent { (plain, reserved) = try self.inflate(body, encoding: encoding, platform: platform) }
        let verifier = served.verifier
        let verdict = (signedAsSent ? body : plain).withUnsafeReadableBytes { raw in
            Result { () throws(SignatureError) in try verifier.verify(header: header, body: raw, now: now / 1000) }
        }
        if case .failure(let error) = verdict {
            self.release(reserved)
            throw .invalidSignature(error)
        }
        if signedAsSent, encoding != nil { (plain, reserved) = try self.inflate(body, encoding: encoding, platform: platform) }
        do {
            let admission = try self.checkAuthentic(served, plain: plain, header: header, now: now, logger: logger)
            guard case .enqueue(var event, let ttlSeconds) = admission, reserved > 0 else {
                self.release(reserved)
                return admission
            }
            // The inflated body stays counted until the delivery is answered (``settle``).
            event.reservedBytes = reserved
            return .enqueue(event, ttlSeconds: ttlSeconds)
        } catch {
            self.release(reserved)
            throw error
        }
    }

    /// A compressed body inflated, and its decoded size counted in the process-wide budget (past it, `503
    /// server_busy`): a few kilobytes on every connection must not become a megabyte on each.
    private func inflate(_ body: ByteBuffer, encoding: String?, platform: PlatformConfig) throws(WebhookError) -> (ByteBuffer, reserved: Int) {
        guard
            let decoded = try ContentDecoding.decode(
                body, encoding: encoding, accepted: platform.contentEncodings, platform: platform.id, limit: self.maxBodyBytes)
        else { return (body, 0) }
        guard let limits = self.limits else { return (decoded, 0) }
        guard limits.reserve(bytes: decoded.readableBytes) else { throw .serverBusy }
        return (decoded, decoded.readableBytes)
    }

    private func release(_ bytes: Int) {
        if bytes > 0 { self.limits?.release(bytes: bytes) }
    }

    /// The checks after the signature, on the decoded body.
    private func checkAuthentic(
        _ served: ServedPlatform, plain: ByteBuffer, header: (String) -> String?, now: Int64, logger: Logger
    ) throws(WebhookError) -> Admission {
        let platform = served.config
        let bytes = plain.readableBytesView
        // An authentic handshake is answered here, before the rate limit, and never queued.
        if let handshake = platform.handshake, !handshake.isGET, let secret = platform.secrets.first?.bytes,
            let reply = try HandshakeReply.post(handshake, body: bytes, secret: secret)
        {
            self.metrics.record(.handshake, platform: platform.id)
            return .handshake(body: reply)
        }

        // A global limit on a shared queue is taken by the queue, in the enqueue's own step; otherwise here.
        let sharedRateLimit = platform.rateLimit.scope == .global && self.queue.sharesRateLimits ? platform.rateLimit : nil
        let denied: UInt64? =
            if sharedRateLimit != nil {
                // Known empty from Redis's last answer: refused without a round trip.
                self.rateLimiter.sharedBucketWait(platform: platform.id)
            } else if case .denied(let wait) = self.rateLimiter.admit(platform: platform.id, limit: platform.rateLimit) {
                wait
            } else {
                nil
            }
        if let denied {
            throw .rateLimited(platform.id, retryAfterSeconds: RateLimiter.retryAfterSeconds(nanoseconds: denied))
        }

        // A form body's envelope is the JSON in its field; the signature above covered the raw form.
        let document = try platform.formField.map { field throws(WebhookError) in ByteBuffer(bytes: try FormBody.field(field, in: bytes)) } ?? plain
        let envelope = try WebhookEnvelope(body: document.readableBytesView, header: header, platform: platform, keeping: served.receiveSelection)
        if platform.signature.maxAgeSeconds != nil {
            guard let sent = EventTime.milliseconds(rfc3339: envelope.timestamp) else {
                throw .invalidPayload("field 'timestamp' must be an RFC 3339 time such as 2025-12-06T00:00:00Z")
            }
            do {
                try served.verifier.checkAge(sentMilliseconds: sent, nowMilliseconds: now)
            } catch {
                throw .invalidSignature(error)
            }
        }
        if let subscribed = platform.subscribe, !subscribed.contains(envelope.sourceEventType) {
            self.metrics.record(.ignored, platform: platform.id)
            return .ignored(eventType: envelope.sourceEventType)
        }
        let (eventID, payloadJSON) = try Self.identify(envelope, in: document.readableBytesView, served: served)
        // The plugin's own `validate` is handed the payload's JSON: encoding the event's payload would read a tree built
        // in part.
        assert(served.adapter.receiveSchema != nil || payloadJSON != nil, "a payload built in part was read whole")
        let receivedAt = now
        do {
            try served.adapter.validate(
                AdapterEvent(
                    platform: platform.id, eventType: envelope.eventType.rawValue, sourceEventType: envelope.sourceEventType,
                    eventID: eventID, receivedAt: receivedAt, timestamp: envelope.timestamp, payload: envelope.payload
                ), payloadJSON: payloadJSON)
        } catch {
            switch error {
            case .invalid(let message): throw .invalidPayload(message)
            case .retryable(let message):
                logger.warning("adapter asked to retry at receive", metadata: ["platform": .string(platform.id), "error": .string(message)])
                throw .adapterUnavailable(message)
            }
        }
        var event = QueuedEvent(
            eventID: eventID,
            platform: platform.id,
            eventType: envelope.eventType,
            sourceEventType: envelope.sourceEventType,
            receivedAtMilliseconds: receivedAt,
            envelope: document,
            payloadPointer: envelope.payloadPointer,
            timestamp: envelope.timestamp
        )
        event.sharedRateLimit = sharedRateLimit
        return .enqueue(event, ttlSeconds: platform.dedupTTLSeconds)
    }

    /// The event id of a checked delivery, and its payload's canonical JSON when something reads it: the event id of
    /// a delivery without the platform's own id hashes it, and an adapter without declared rules is handed it in its
    /// event. It is read from `document`'s bytes, once: the envelope's tree holds only what the platform's receive
    /// selection keeps.
    /// - Parameter document: the body `envelope` was read from (the form field's JSON for a form body), which the
    ///   parser accepted.
    public static func identify(
        _ envelope: WebhookEnvelope, in document: some Collection<UInt8>, served: ServedPlatform
    ) throws(WebhookError) -> (eventID: String, payloadJSON: [UInt8]?) {
        if let deliveryID = envelope.deliveryID {
            let payloadJSON = served.adapter.receiveSchema == nil ? try Self.canonicalPayload(of: document, served) : nil
            return (EventIdentity.eventID(platform: served.id, deliveryID: deliveryID), payloadJSON)
        }
        let payloadJSON = try Self.canonicalPayload(of: document, served)
        return (EventIdentity.eventID(platform: served.id, eventType: envelope.eventType, payloadJSON: payloadJSON), payloadJSON)
    }

    /// The canonical JSON of the payload in `document`, read from its bytes.
    private static func canonicalPayload(of document: some Collection<UInt8>, _ served: ServedPlatform) throws(WebhookError) -> [UInt8] {
        // The parser accepted the body and the envelope found its payload: the tape reads the same document.
        guard let tokens = served.payloadTokens, let json = CanonicalJSON.encode(valueAt: tokens, in: document) else {
            throw .invalidPayload("the payload could not be read")
        }
        return json
    }
}
