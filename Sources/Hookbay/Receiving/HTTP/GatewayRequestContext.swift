import Hummingbird
import NIOCore

/// The router's request context: Hummingbird's basic one, plus the client's address (a refused delivery records it
/// in ``RecentRefusals``).
public struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection's peer, as the socket reports it.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
