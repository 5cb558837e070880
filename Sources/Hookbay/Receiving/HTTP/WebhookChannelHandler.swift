import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Serves `POST /api/v1/webhooks/{platform}` on the connection's event loop, without a task per request.
///
/// The receive path is the gateway's hot path: on the router it costs a task, an async body stream and four thread
/// hops per delivery (event loop → handler task → Redis connection → task → event loop). Here the body is gathered,
/// checked and handed to a Redis connection pinned to the same event loop, and the answer written when the reply
/// comes back: one thread, no task. The checks and answers are the router's own (``WebhookReceiver/admit(platform:body:headers:logger:)``,
/// ``WebhookRoutes/answer(_:)``, ``WebhookError``), so both paths answer the same.
///
/// Only plain deliveries take this path: a `POST` to `/api/v1/webhooks/<id>` with a `Content-Length` within the
/// limit, no `Transfer-Encoding`, and no `Expect` but `100-continue` (answered here at once). Everything else (other
/// routes, chunked or oversized bodies, other expectations) is handed on to the router unchanged. Requests are
/// answered in order: while one is being answered (here or by the router), the parts of pipelined requests behind it are held, and reads stop while any are held.
///
/// Backpressure: reads also stop while the channel is not writable (a client that does not read its answers fills
/// the socket, then NIO's write buffer up to its high-water mark, and is read no further until it takes them), so a
/// connection holds at most one answer being computed, one read's worth of held parts and a bounded write buffer. A
/// delivery's body counts against the process-wide ``ReceiveLimits`` from its head until it is answered.
final class WebhookChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: WebhookRoutes
    /// Static path segments after `/api/v1/webhooks/` (`register`, `metrics`...): requests to them are the router's.
    private let reserved: Set<String>
    private let serverName: String
    private let limits: ReceiveLimits
    private let logger: Logger
    /// Bytes of the delivery being read or answered, reserved in `limits`.
    private var reservedBytes = 0
    private var state = DeliveryStateMachine()
    private var date = HTTPDate.Cache()
    /// The delivery being read.
    private var platformID = ""
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// Parts of pipelined requests that arrived while another was being answered.
    private var held = CircularBuffer<HTTPServerRequestPart>()
    private var readPending = false
    private var draining = false
    /// Held parts handed to the router since the last read-complete, which the router's inbound stream waits for.
    private var forwardedHeld = false
    /// A decoding error (bytes that are not HTTP) that arrived while earlier requests were still being answered: it is
    /// passed on (and answered 400) only after their answers, so answers stay in order.
    private var deferredError: (any Error)?
    /// The client half-closed its side while requests were still being answered: passed on once they are.
    private var deferredInputClosed = false

    init(routes: WebhookRoutes, reserved: Set<String>, serverName: String, limits: ReceiveLimits, logger: Logger) {
        self.routes = routes
        self.reserved = reserved
        self.serverName = serverName
        self.limits = limits
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = self.unwrapInboundIn(data)
        if self.held.isEmpty, !self.state.mustYield {
            self.handle(part, context: context)
        } else {
            self.held.append(part)
            if self.state.mustYield { self.yield(context: context) }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.state.readCompleted()
        context.fireChannelReadComplete()
    }

    /// Serves the held requests on the event loop's next turn, after the other connections' work.
    private func yield(context: ChannelHandlerContext) {
        guard self.state.startYielding() else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = bound.value
            guard handler.state.nextTurn(), context.channel.isActive else { return }
            handler.becomeIdle(context: context)
        }
    }

    /// Reads go on while a request is answered (stopping them costs two `epoll_ctl` calls per request), and stop
    /// once a pipelined request is held, or while the channel is not writable, so that a client sending faster than it
    /// is answered, or not reading its answers at all, is not buffered without bound.
    func read(context: ChannelHandlerContext) {
        if self.held.isEmpty, context.channel.isWritable {
            context.read()
        } else {
            self.readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.resumeReads(context: context)
        context.fireChannelWritabilityChanged()
    }

    /// Lets a read held back go on, once nothing is held and the answers are being taken.
    private func resumeReads(context: ChannelHandlerContext) {
        guard self.readPending, self.held.isEmpty, context.channel.isWritable else { return }
        self.readPending = false
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        guard case .end = self.unwrapOutboundIn(data) else { return }
        if self.state.routerResponseEnded() { self.becomeIdle(context: context) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.isBusy {
            self.deferredError = self.deferredError ?? error
        } else {
            context.fireErrorCaught(error)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent, self.isBusy {
            self.deferredInputClosed = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Whether an earlier request is still being answered (or held behind one).
    private var isBusy: Bool { self.state.isBusy(holding: !self.held.isEmpty) }

    func channelInactive(context: ChannelHandlerContext) {
        self.held.removeAll()
        self.body = nil
        self.releaseReservedBytes()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.releaseReservedBytes()
    }

    /// Reserves a request's body in the process-wide budget; past it, answers `503 server_busy` and closes.
    /// - Parameter platform: the delivery's platform, when it is one (its refusal is then kept in the recent ones).
    private func reserve(_ length: Int, platform: String? = nil, context: ChannelHandlerContext) -> Bool {
        guard self.limits.reserve(bytes: length) else {
            if let platform { self.noteRefused(.serverBusy, platform: platform, requestID: RequestID(), context: context) }
            self.respond(WebhookError.serverBusy, close: true, context: context)
            return false
        }
        self.reservedBytes = length
        return true
    }

    private func releaseReservedBytes() {
        guard self.reservedBytes > 0 else { return }
        self.limits.release(bytes: self.reservedBytes)
        self.reservedBytes = 0
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        let kind: DeliveryStateMachine.Part
        switch part {
        case .head: kind = .head
        case .body: kind = .body
        case .end: kind = .end
        }
        switch self.state.received(kind) {
        case .startRequest:
            self.start(part, context: context)
        case .gather:
            guard case .body(var chunk) = part else { return }
            if self.body == nil {
                // A body read whole stays the read's slice; one that comes in parts is gathered into a buffer of its
                // declared length (already counted in the receive budget), filled without growing and copying again.
                if chunk.readableBytes >= self.reservedBytes {
                    self.body = chunk
                } else {
                    var body = context.channel.allocator.buffer(capacity: self.reservedBytes)
                    body.writeBuffer(&chunk)
                    self.body = body
                }
            } else {
                self.body!.writeBuffer(&chunk)
            }
        case .serve:
            self.serve(context: context)
        case .hold:
            self.held.append(part)
        case .forward:
            context.fireChannelRead(self.wrapInboundOut(part))
        case .forwardAndBecomeIdle:
            context.fireChannelRead(self.wrapInboundOut(part))
            self.becomeIdle(context: context)
        case .drop:
            break
        }
    }

    /// A new request: a plain delivery is served here, anything else is handed on to the router.
    private func start(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        var part = part
        if case .head(var head) = part, head.version == .http1_1,
            head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" })
        {
            // The client waits for this before sending its body (curl: one second): say go on, now.
            head.headers.remove(name: "expect")
            part = .head(head)
            context.triggerUserOutboundEvent(
                ConnectionStateHandler.InterimResponse(bytes: context.channel.allocator.buffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")),
                promise: nil)
        }
        if case .head(let head) = part, let (platform, length) = self.servedPlatform(head) {
            guard self.reserve(length, platform: platform, context: context) else { return }
            self.state.startDelivery()
            self.platformID = platform
            self.head = head
            self.body = nil
        } else {
            // A POST the router reads (chunked, `Expect`, another path) counts against the same budget: its
            // declared length, or the body limit when it declares none.
            if case .head(let head) = part, head.method == .POST {
                let declared = head.headers.first(name: "content-length").flatMap { Int($0) }
                let length = declared.map { min(max($0, 0), self.routes.maxBodyBytes) } ?? self.routes.maxBodyBytes
                guard self.reserve(length, context: context) else { return }
            }
            self.state.startForwarding()
            context.fireChannelRead(self.wrapInboundOut(part))
        }
    }

    /// The platform id and body length when the request is a plain delivery this handler serves, `nil` to hand it to
    /// the router.
    private func servedPlatform(_ head: HTTPRequestHead) -> (String, Int)? {
        guard head.method == .POST else { return nil }
        let prefix = "/api/v1/webhooks/"
        var id = head.uri.utf8.dropFirst(0)
        guard id.starts(with: prefix.utf8) else { return nil }
        id = id.dropFirst(prefix.utf8.count)
        if let query = id.firstIndex(of: UInt8(ascii: "?")) { id = id[..<query] }
        guard !id.isEmpty, id.allSatisfy(Self.isPlainPathByte) else { return nil }
        let platform = String(Substring(id))
        guard !self.reserved.contains(platform) else { return nil }
        let headers = head.headers
        guard let length = headers.first(name: "content-length").flatMap({ Int($0) }), (0...self.routes.maxBodyBytes).contains(length),
            !headers.contains(name: "transfer-encoding"), !headers.contains(name: "expect")
        else { return nil }
        return (platform, length)
    }

    private static func isPlainPathByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    /// Checks the delivery read and answers it, now or when the queue replies.
    private func serve(context: ChannelHandlerContext) {
        let head = self.head!
        let body = self.body ?? context.channel.allocator.buffer(capacity: 0)
        let id = self.platformID
        self.head = nil
        self.body = nil
        let close = !head.isKeepAlive
        let receiver = self.routes.receiver
        // The request id as Hummingbird's router gives it, rendered only if something is logged (setting metadata
        // renders the text log handler's whole metadata string at once, on every request).
        var requestLogger = self.logger
        let requestID = RequestID()
        requestLogger.handler.metadataProvider = .init { ["hb.request.id": .stringConvertible(requestID)] }
        let logger = requestLogger
        let platform: ServedPlatform
        do {
            platform = try receiver.platform(id)
        } catch {
            self.noteRefused(error, platform: id, requestID: requestID, context: context)
            self.respond(error, close: close, context: context)
            return
        }
        let start = ContinuousClock.now
        let admission: WebhookReceiver.Admission
        do {
            let headers = head.headers
            admission = try receiver.admit(
                platform: platform, body: body,
                header: { name in
                    let values = headers[name]
                    return values.count <= 1 ? values.first : values.joined(separator: ", ")
                }, peer: platform.config.allowIPs == nil ? nil : context.channel.remoteAddress, logger: logger)
        } catch {
            receiver.metrics.observe(.receive, platform: id, ContinuousClock.now - start)
            self.noteRefused(error, platform: id, requestID: requestID, context: context)
            self.respond(error, close: close, context: context)
            return
        }
        switch admission {
        case .handshake(let body):
            receiver.metrics.observe(.receive, platform: id, ContinuousClock.now - start)
            self.respond(WebhookRoutes.answer(.handshake(body: body)), close: close, context: context)
        case .ignored(let eventType):
            receiver.metrics.observe(.receive, platform: id, ContinuousClock.now - start)
            self.respond(WebhookRoutes.answer(.ignored(eventType: eventType)), close: close, context: context)
        case .enqueue(let event, let ttlSeconds):
            let enqueueStart = ContinuousClock.now
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            receiver.queue.enqueue(event, ttlSeconds: ttlSeconds, on: context.eventLoop).whenComplete { result in
                let settled = receiver.settle(
                    result.mapError { $0 as? QueueError ?? QueueError("\($0)") }, event: event, enqueueStartedAt: enqueueStart, logger: logger
                )
                receiver.metrics.observe(.receive, platform: id, ContinuousClock.now - start)
                let (handler, context) = bound.value
                switch settled {
                case .success(let outcome): handler.respond(WebhookRoutes.answer(outcome), close: close, context: context)
                case .failure(let error):
                    handler.noteRefused(error, platform: id, requestID: requestID, context: context)
                    handler.respond(error, close: close, context: context)
                }
            }
        }
    }

    /// Keeps a refused delivery in the receiver's recent refusals, with the client's address.
    private func noteRefused(_ error: WebhookError, platform: String, requestID: RequestID, context: ChannelHandlerContext) {
        self.routes.receiver.noteRefused(
            error, platform: platform, requestID: requestID.description, remoteAddress: context.channel.remoteAddress?.ipAddress)
    }

    private func respond(_ error: WebhookError, close: Bool, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 128)
        buffer.writeBytes(error.body)
        self.respond(status: error.status, retryAfterSeconds: error.retryAfterSeconds, body: buffer, close: close, context: context)
    }

    private func respond(_ answer: (status: HTTPResponse.Status, body: String), close: Bool, context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(string: answer.body)
        self.respond(status: answer.status, retryAfterSeconds: nil, body: buffer, close: close, context: context)
    }

    /// Writes the answer, with the headers the router's carry (`Connection: close` too when the request did not keep
    /// the connection alive), encoded here in one buffer (NIO's encoder would build and copy an `HTTPHeaders` per
    /// answer, and the answer would take three writes), then serves the requests held behind it.
    private func respond(status: HTTPResponse.Status, retryAfterSeconds: Int?, body: ByteBuffer, close: Bool, context: ChannelHandlerContext) {
        self.releaseReservedBytes()
        self.state.answered(close: close)
        var bytes = context.channel.allocator.buffer(capacity: 192 + self.serverName.utf8.count + body.readableBytes)
        bytes.writeStaticString("HTTP/1.1 ")
        bytes.writeString(String(status.code))
        bytes.writeStaticString(" ")
        bytes.writeString(HTTPResponseStatus(statusCode: Int(status.code)).reasonPhrase)
        bytes.writeStaticString("\r\ncontent-type: application/json\r\n")
        if let retryAfterSeconds {
            bytes.writeStaticString("retry-after: ")
            bytes.writeString(String(retryAfterSeconds))
            bytes.writeStaticString("\r\n")
        }
        bytes.writeStaticString("content-length: ")
        bytes.writeString(String(body.readableBytes))
        bytes.writeStaticString("\r\ndate: ")
        bytes.writeString(self.date.now())
        bytes.writeStaticString("\r\nserver: ")
        bytes.writeString(self.serverName)
        bytes.writeStaticString(close ? "\r\nconnection: close\r\n\r\n" : "\r\n\r\n")
        bytes.writeImmutableBuffer(body)
        context.triggerUserOutboundEvent(ConnectionStateHandler.EncodedResponse(bytes: bytes, closeConnection: close), promise: nil)
        if close {
            self.held.removeAll()
            return
        }
        self.becomeIdle(context: context)
    }

    /// Ready for the next request: serves the parts held meanwhile, then lets reads go on.
    private func becomeIdle(context: ChannelHandlerContext) {
        self.releaseReservedBytes()
        self.state.becomeIdle()
        guard !self.draining else { return }
        self.draining = true
        defer { self.draining = false }
        while !self.held.isEmpty, !self.state.awaitsAnswer {
            if self.state.mustYield {
                self.yield(context: context)
                break
            }
            self.handle(self.held.removeFirst(), context: context)
            if case .forwarding = self.state.state { self.forwardedHeld = true }
        }
        if self.forwardedHeld {
            // The router reads its parts when a read completes.
            self.forwardedHeld = false
            context.fireChannelReadComplete()
        }
        if !self.isBusy, self.state.state == .idle {
            if let error = self.deferredError {
                self.deferredError = nil
                context.fireErrorCaught(error)
                return
            }
            if self.deferredInputClosed {
                self.deferredInputClosed = false
                context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
                return
            }
        }
        self.resumeReads(context: context)
    }
}

@available(*, unavailable)
extension WebhookChannelHandler: Sendable {}
