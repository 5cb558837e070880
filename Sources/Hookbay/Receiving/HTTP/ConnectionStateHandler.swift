import NIOCore
import NIOHTTP1

/// Closes a connection that has been idle (no request in progress) for `idleTimeout`, or whose peer has not taken
/// its answers for `idleTimeout` (see ``ConnectionStateMachine``), and closes connections once their requests are
/// answered when the server shuts down gracefully.
///
/// Hummingbird's own `HTTPConnectionStateHandler` does this after its HTTP-types conversion, where it cannot see the
/// deliveries ``WebhookChannelHandler`` answers before that conversion: it would take a connection busy with them for
/// idle and close it mid-request. This one sits in front of both paths and counts every request: one starts with its
/// head and ends with its response's end, or with an ``EncodedResponse``.
///
/// It also writes the ``EncodedResponse``s handlers behind it send as an outbound event: below `encoder`, which
/// they have no need of, and counted here as the end of their request.
final class ConnectionStateHandler: ChannelDuplexHandler, RemovableChannelHandler {
    /// A whole response, already encoded as HTTP/1.1 bytes, answering the oldest request in progress; sent with
    /// `triggerUserOutboundEvent`. It is written and flushed in one piece, and the connection closed after it when
    /// `closeConnection` is set (its bytes then say `Connection: close`).
    struct EncodedResponse {
        var bytes: ByteBuffer
        var closeConnection: Bool
    }

    /// An informational response (`100 Continue`), already encoded, for the request being read: written and flushed
    /// below the encoder like an ``EncodedResponse``, without ending the request.
    struct InterimResponse {
        var bytes: ByteBuffer
    }

    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var state: ConnectionStateMachine
    /// The response encoder in front of this handler, and its context once looked up: encoded responses go out
    /// from there.
    private let encoder: HTTPResponseEncoder
    private var encoderContext: ChannelHandlerContext?
    private var timer: Scheduled<Void>?

    init(idleTimeout: TimeAmount, encoder: HTTPResponseEncoder) {
        self.state = ConnectionStateMachine(idleTimeout: idleTimeout, now: .now())
        self.encoder = encoder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.arm(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.arm(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.encoderContext = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = self.unwrapInboundIn(data) {
            self.state.read(startsRequest: true, now: .now())
        } else {
            self.state.read(startsRequest: false, now: .now())
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = self.unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        if self.state.requestEnded(now: .now()) {
            self.flushAndClose(context.writeAndFlush(data), promise: promise, context: context)
        } else {
            context.write(data, promise: promise)
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if let interim = event as? InterimResponse {
            guard let encoderContext = self.lookUpEncoderContext(context) else {
                promise?.fail(ChannelError.ioOnClosedChannel)
                return
            }
            encoderContext.writeAndFlush(NIOAny(IOData.byteBuffer(interim.bytes)), promise: promise)
            return
        }
        guard let response = event as? EncodedResponse else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        guard let encoderContext = self.lookUpEncoderContext(context) else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let bytes = NIOAny(IOData.byteBuffer(response.bytes))
        if self.state.requestEnded(now: .now()) || response.closeConnection {
            self.flushAndClose(encoderContext.writeAndFlush(bytes), promise: promise, context: context)
        } else {
            encoderContext.writeAndFlush(bytes, promise: promise)
        }
    }

    /// The encoder's context, looked up once: writes from there skip the encoder (encoded responses, output checks).
    private func lookUpEncoderContext(_ context: ChannelHandlerContext) -> ChannelHandlerContext? {
        if self.encoderContext == nil {
            self.encoderContext = try? context.pipeline.syncOperations.context(handler: self.encoder)
        }
        return self.encoderContext
    }

    private func flushAndClose(_ written: EventLoopFuture<Void>, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.whenComplete { result in
            promise?.completeWith(result)
            bound.value.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.outputClosed) = event as? ChannelEvent {
            // The server has said its last (Hummingbird half-closes its output after `Connection: close` or a parse
            // error): with remote half-closure allowed the input would otherwise stay open, and a client still
            // sending would be neither read nor refused.
            context.fireUserInboundEventTriggered(event)
            context.close(promise: nil)
            return
        }
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch self.state.quiesce() {
        case .close: context.close(promise: nil)
        case .closeWhenAnswered: break
        }
    }

    /// One timer per connection, re-armed for what is left of the allowance when it finds the connection was active,
    /// or for what is left of the outstanding output check's.
    private func arm(context: ChannelHandlerContext) {
        guard self.timer == nil else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(deadline: self.state.deadline) {
            let (handler, context) = bound.value
            handler.timer = nil
            switch handler.state.timerFired(now: .now(), outputPending: handler.outputPending(context.channel)) {
            case .close:
                context.close(promise: nil)
            case .rearm:
                handler.arm(context: context)
            case .checkOutput:
                handler.checkOutput(context: context)
                handler.arm(context: context)
            }
        }
    }

    /// The bytes waiting in the channel for the peer: written, not yet accepted by the kernel; `nil` when they cannot
    /// be counted and the channel is unwritable. (`GatewayHTTPChannel` keeps the kernel's own backlog of unsent bytes
    /// small, so these back up soon after the peer stops reading.)
    private func outputPending(_ channel: any Channel) -> Int? {
        if let buffered = try? channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes) { return buffered }
        return channel.isWritable ? 0 : nil
    }

    /// Sends an output check: an empty write below the encoder (no bytes on the wire, and in the middle of a response
    /// it changes nothing), whose promise NIO completes once every write before it has been handed to the kernel. A
    /// check that fails (the channel is closing) stays outstanding; the connection is on its way out anyway.
    private func checkOutput(context: ChannelHandlerContext) {
        guard let encoderContext = self.lookUpEncoderContext(context) else { return }
        let check = context.eventLoop.makePromise(of: Void.self)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        check.futureResult.whenSuccess { bound.value.state.outputCheckPassed() }
        encoderContext.writeAndFlush(NIOAny(IOData.byteBuffer(context.channel.allocator.buffer(capacity: 0))), promise: check)
    }
}

@available(*, unavailable)
extension ConnectionStateHandler: Sendable {}
