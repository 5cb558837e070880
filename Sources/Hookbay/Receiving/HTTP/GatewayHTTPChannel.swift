import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `Receiving/HTTP/` is the gateway's own HTTP/1 transport, beside Hummingbird's router rather than inside it: the
/// receive path is the hot path, and on the router each delivery would cost a task, an async body stream and four
/// thread hops; here it is gathered, checked, queued and answered on its connection's event loop (see
/// ``WebhookChannelHandler``). Every other route goes through Hummingbird unchanged. The folder holds the channel
/// below, its handlers, their state machines as values (``ConnectionStateMachine``, ``DeliveryStateMachine``) and the
/// process-wide ``ReceiveLimits``.
///
/// The gateway's HTTP/1.1 connection: NIO's HTTP/1 codec, then the connection's idle timeout and graceful shutdown
/// (``ConnectionStateHandler``), the request deadline, the ``WebhookChannelHandler`` that serves deliveries on the
/// event loop, and, for every other request, the framing of its response (``RouterResponseFramingHandler``),
/// Hummingbird's conversion to HTTP types and its router (as Hummingbird's `HTTP1Channel` builds it).
///
/// The webhook handler works on NIO's HTTP/1 types, before the conversion, which it spares its deliveries; the
/// handlers in front of it count them like any other request.
struct GatewayHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let webhooks: WebhookRoutes
    /// Static segments after `/api/v1/webhooks/` that are routes of their own (see ``reservedSegments(of:)``).
    let reserved: Set<String>
    let requestTimeout: TimeAmount
    let idleTimeout: Duration
    let serverName: String
    let limits: ReceiveLimits
    let logger: Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            guard self.limits.openConnection() else {
                try channel.pipeline.syncOperations.addHandler(RefusedConnectionHandler())
                return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
            }
            // A client that half-closes after sending still gets its answers (the connection closes once they are out).
            try channel.syncOptions?.setOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            Self.limitUnsentBytes(channel, logger: self.logger)
            let receiveLimits = self.limits
            channel.closeFuture.whenComplete { _ in receiveLimits.closeConnection() }
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = 80 * 1024
            limits.maxHeaderListSize = 80 * 1024
            limits.maxHeaderFieldCount = 1000
            // NIO's HTTP/1 codec, with the encoder unpaired from the decoder and its automatic framing off: deliveries'
            // answers are written already encoded, below it, and the router's responses framed before it.
            var encoding = HTTPResponseEncoder.Configuration()
            encoding.automaticallySetFramingHeaders = false
            let encoder = HTTPResponseEncoder(configuration: encoding)
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(encoder)
            try pipeline.addHandler(
                ByteToMessageHandler(
                    HTTPRequestDecoder(
                        leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop,
                        limitConfiguration: limits)))
            try pipeline.addHandler(ConnectionStateHandler(idleTimeout: TimeAmount(self.idleTimeout), encoder: encoder))
            try pipeline.addHandler(RequestDeadlineHandler(timeout: self.requestTimeout))
            try pipeline.addHandler(
                WebhookChannelHandler(
                    routes: self.webhooks, reserved: self.reserved, serverName: self.serverName,
                    limits: self.limits, logger: self.logger))
            try pipeline.addHandler(RouterResponseFramingHandler())
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    /// Bytes the kernel may hold for a connection beyond what the peer's window lets out (`TCP_NOTSENT_LOWAT`).
    static let unsentBytesLimit = 16 * 1024

    /// Keeps the kernel's backlog of unsent bytes small. Without a limit the kernel takes answers far beyond the
    /// peer's window (on loopback, whose segments are 64 KiB, its send buffer grows to megabytes: 2.8 MB, some 20,000
    /// small answers, for a client with a 4 KiB receive buffer), so a client that never reads is served all that
    /// while its answers seem to leave; with the limit (19 KB there) they back up in the channel, where
    /// ``ConnectionStateHandler`` sees them and closes the connection once the peer has taken nothing for the idle
    /// timeout. What is in flight is not limited, only the queue behind it. Best effort: where the option is missing
    /// the connection is served as before, and its send buffer still bounds it.
    static func limitUnsentBytes(_ channel: any Channel, logger: Logger) {
        #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
            let option = ChannelOptions.tcpOption(NIOBSDSocket.Option(rawValue: TCP_NOTSENT_LOWAT))
            do {
                try channel.syncOptions?.setOption(option, value: SocketOptionValue(Self.unsentBytesLimit))
            } catch {
                // Once per process: every connection would say the same.
                if !Self.unsentBytesLimitRefused.exchange(true, ordering: .relaxed) {
                    logger.warning(
                        "cannot limit the kernel's unsent bytes (TCP_NOTSENT_LOWAT): a client that does not read is closed later",
                        metadata: ["error": .string("\(error)")])
                }
            }
        #endif
    }

    /// Whether setting `TCP_NOTSENT_LOWAT` failed once already (and was logged).
    private static let unsentBytesLimitRefused = Atomic<Bool>(false)

    /// The static path segments right after `/api/v1/webhooks/` in `router`'s routes (`register`, `metrics`, `dlq`...):
    /// a request there is the router's, not a delivery to a platform of that name.
    static func reservedSegments(of router: Router<GatewayRequestContext>) -> Set<String> {
        Set(
            router.routes.compactMap { route -> String? in
                let segments = route.path.components.map(\.description)
                guard segments.count >= 4, segments[0..<3] == ["api", "v1", "webhooks"],
                    GatewayResponder.specificity(route.path)[3] == 1
                else { return nil }
                return segments[3]
            })
    }

    func handle(value: Value, logger: Logger) async {
        await self.handleHTTP(asyncChannel: value, logger: logger)
    }
}
