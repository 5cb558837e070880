import NIOCore
import NIOHTTP1

/// Frames the router's responses as NIO's server pipeline would: `Content-Length` or chunked transfer coding, and
/// no body at all for a response to `HEAD` or `CONNECT`, or for a status that has none.
///
/// The gateway's HTTP pipeline does not pair NIO's response encoder with its request decoder, because
/// ``WebhookChannelHandler`` writes its deliveries' answers already encoded, below the encoder (see
/// ``ConnectionStateHandler/EncodedResponse``): a paired encoder would wait for a response to every request it saw
/// decoded and take the next router response for the answer to a delivery. The encoder therefore runs with
/// automatic framing off, and this handler, which sees only the router's requests and responses, decides each
/// response's framing and drops the body of one that must not carry it.
final class RouterResponseFramingHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Methods of the router's requests awaiting their response, oldest first.
    private var methods = CircularBuffer<HTTPMethod>(initialCapacity: 2)
    /// Set from the head to the end of a response whose body is dropped.
    private var bodiless = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = self.unwrapInboundIn(data) {
            self.methods.append(head.method)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(var head):
            let code = head.status.code
            // An interim 1xx (other than 101) is followed by the final response to the same request.
            let interim = (100..<200).contains(code) && code != 101
            let method = interim ? nil : self.methods.popFirst()
            Self.frame(&head, method: method)
            self.bodiless = !interim && (method == .HEAD || method == .CONNECT || !head.status.mayHaveResponseBody)
            context.write(self.wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            if self.bodiless {
                // A response to HEAD advertises its length but carries no body (RFC 9110 §9.3.2).
                promise?.succeed(())
            } else {
                context.write(data, promise: promise)
            }
        case .end:
            self.bodiless = false
            context.write(data, promise: promise)
        }
    }

    /// Sets the framing headers of a response to a `method` request (`nil`: an interim response) as NIO's encoder
    /// does when it frames them itself: none when there is no body, `Content-Length` when given, else chunked on
    /// HTTP/1.1. A response to `HEAD` keeps its `Content-Length` and is never chunked: nothing follows its head.
    static func frame(_ head: inout HTTPResponseHead, method: HTTPMethod?) {
        if method == .CONNECT || !head.status.mayHaveResponseBody {
            head.headers.remove(name: "content-length")
            head.headers.remove(name: "transfer-encoding")
        } else if head.headers.contains(name: "content-length") || method == .HEAD || !(head.version.major == 1 && head.version.minor >= 1) {
            head.headers.remove(name: "transfer-encoding")
        } else {
            head.headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
        }
    }
}

@available(*, unavailable)
extension RouterResponseFramingHandler: Sendable {}
