import NIOCore

/// Answers a connection the server has no room for (``ReceiveLimits/maxConnections``) with `503 server_busy` and
/// closes it, without reading a request: the pipeline of such a connection holds only this handler, which drops
/// whatever the client sends meanwhile.
final class RefusedConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    static let answer: String = {
        let body = #"{"error":"server_busy","message":"the server is serving its maximum number of connections; retry later"}"#
        return "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\ncontent-length: \(body.utf8.count)\r\n"
            + "connection: close\r\n\r\n" + body
    }()

    private var answered = false

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.refuse(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.refuse(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func refuse(context: ChannelHandlerContext) {
        guard !self.answered else { return }
        self.answered = true
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: Self.answer))).whenComplete { _ in
            bound.value.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension RefusedConnectionHandler: Sendable {}
