import NIOCore
import NIOHTTP1

/// Closes a connection whose request is not received in full within `timeout` of its head.
///
/// The idle timeout alone does not stop a client that trickles a body a byte at a time: every byte counts as
/// traffic. This handler starts a deadline when a request head arrives and cancels it at the request's end; if it
/// fires first, the connection is closed and the partial request is dropped (it was never answered, so never
/// accepted). Headers trickled before the head is complete are bounded by the idle timeout, which starts at the
/// connection's opening and after each response.
final class RequestDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let timeout: TimeAmount
    /// When the request being read began; `nil` between requests.
    private var startedAt: NIODeadline?
    /// At most one timer per connection: a request's head only notes the time, and a timer that finds the request
    /// still inside its allowance re-arms for the rest of it (no timer scheduled and cancelled per request).
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            startedAt = .now()
            if timer == nil { arm(context: context, at: startedAt! + timeout) }
        case .end:
            startedAt = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    private func arm(context: ChannelHandlerContext, at deadline: NIODeadline) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.timer = nil
            guard let started = handler.startedAt else { return }
            if NIODeadline.now() >= started + handler.timeout {
                context.close(promise: nil)
            } else {
                handler.arm(context: context, at: started + handler.timeout)
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension RequestDeadlineHandler: Sendable {}
