import NIOCore
import NIOHTTP1

/// Closes a connection that has been idle (no request in progress) for `idleTimeout`, and closes connections once
/// their requests are answered when the server shuts down gracefully.
///
/// Hummingbird's own `HTTPConnectionStateHandler` does this after its HTTP-types conversion, where it cannot see the
/// deliveries ``WebhookChannelHandler`` answers before that conversion: it would take a connection busy with them for
/// idle and close it mid-request. This one sits in front of both paths and counts every request: one starts with its
/// head and ends with its response's end.
final class ConnectionStateHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let idleTimeout: TimeAmount
    /// Requests whose head arrived and whose response has not ended.
    private var inProgress = 0
    private var lastActive = NIODeadline.now()
    private var closeWhenIdle = false
    private var timer: Scheduled<Void>?

    init(idleTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
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
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = self.unwrapInboundIn(data) {
            self.inProgress += 1
        }
        self.lastActive = .now()
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = self.unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        self.inProgress -= 1
        self.lastActive = .now()
        if self.closeWhenIdle, self.inProgress <= 0 {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(data).whenComplete { result in
                promise?.completeWith(result)
                bound.value.close(promise: nil)
            }
        } else {
            context.write(data, promise: promise)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if self.inProgress <= 0 {
            context.close(promise: nil)
        } else {
            self.closeWhenIdle = true
        }
    }

    /// One timer per connection, re-armed for what is left of the allowance when it finds the connection was active.
    private func arm(context: ChannelHandlerContext) {
        guard self.timer == nil else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(deadline: self.lastActive + self.idleTimeout) {
            let (handler, context) = bound.value
            handler.timer = nil
            if handler.inProgress <= 0, NIODeadline.now() >= handler.lastActive + handler.idleTimeout {
                context.close(promise: nil)
            } else {
                if handler.inProgress > 0 { handler.lastActive = .now() }
                handler.arm(context: context)
            }
        }
    }
}

@available(*, unavailable)
extension ConnectionStateHandler: Sendable {}
