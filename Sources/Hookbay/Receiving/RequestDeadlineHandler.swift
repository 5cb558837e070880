import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request is not received in full within `timeout` of its head.
///
/// The idle timeout alone does not stop a client that trickles a body a byte at a time: every byte counts as
/// traffic. This handler starts a deadline when a request head arrives and cancels it at the request's end; if it
/// fires first, the connection is closed and the partial request is dropped (it was never answered, so never
/// accepted). Headers trickled before the head is complete are bounded by the idle timeout, which starts at the
/// connection's opening and after each response.
final class RequestDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            let context = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.value.eventLoop.scheduleTask(in: timeout) {
                context.value.close(promise: nil)
            }
        case .end:
            deadline?.cancel()
            deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension RequestDeadlineHandler: Sendable {}
