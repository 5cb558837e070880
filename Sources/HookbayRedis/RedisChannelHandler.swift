import NIOCore

/// One command on its way: the encoded bytes, the promise for its reply, and when to give up on it.
struct RedisRequest {
    var bytes: ByteBuffer
    var promise: EventLoopPromise<RESPValue>
    var deadline: NIODeadline
}

/// Pipelines commands on one connection: writes them as they come and matches replies in order; an error reply
/// fails its request with ``RedisError/server(_:)``.
///
/// Lives on its channel's event loop only. A reply that does not come by its request's deadline, or bytes that are
/// not RESP, fail every waiting request and close the connection, since the order of replies can no longer be trusted.
final class RedisChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<(promise: EventLoopPromise<RESPValue>, deadline: NIODeadline)>(initialCapacity: 64)
    private let reader = RESPReader()
    private var timer: RepeatedTask?
    private let checkInterval: TimeAmount

    init(checkInterval: TimeAmount) {
        self.checkInterval = checkInterval
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleRepeatedTask(initialDelay: self.checkInterval, delay: self.checkInterval) { _ in
            let (handler, context) = loopBound.value
            handler.checkDeadlines(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.failAll(RedisError.connectionClosed)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = self.unwrapOutboundIn(data)
        self.waiting.append((request.promise, request.deadline))
        context.write(self.wrapOutboundOut(request.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        do {
            try self.reader.feed(buffer)
            while let reply = try self.reader.next() {
                guard let next = self.waiting.popFirst() else {
                    throw RedisError.protocolError("a reply arrived that no command was waiting for")
                }
                if case .error(let message) = reply {
                    next.promise.fail(RedisError.server(message))
                } else {
                    next.promise.succeed(reply)
                }
            }
        } catch {
            self.closeAndFailAll(error, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(RedisError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.closeAndFailAll(RedisError.connectionFailed(String(describing: error)), context: context)
    }

    private func checkDeadlines(context: ChannelHandlerContext) {
        guard let oldest = self.waiting.first, oldest.deadline < .now() else { return }
        self.closeAndFailAll(RedisError.timeout, context: context)
    }

    /// Closes first, so that a caller woken by the failure already sees the connection inactive and reconnects.
    private func closeAndFailAll(_ error: any Error, context: ChannelHandlerContext) {
        let waiting = self.waiting
        self.waiting.removeAll()
        context.close(promise: nil)
        for request in waiting { request.promise.fail(error) }
    }

    private func failAll(_ error: any Error) {
        while let next = self.waiting.popFirst() {
            next.promise.fail(error)
        }
    }
}
