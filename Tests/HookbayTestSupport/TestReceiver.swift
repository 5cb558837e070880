import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP server on loopback that forwarding delivers to: it records every request and answers as `behaviour`
/// says (a status, after a delay, with headers), so a test can play a healthy, flaky, down or slow destination.
public final class TestReceiver: Sendable {
    /// One request as received.
    public struct Request: Sendable {
        public var method: String
        public var uri: String
        /// Header names lowercased; the last value of a repeated one.
        public var headers: [String: String]
        public var body: [UInt8]
        public var webhookID: String { headers["webhook-id"] ?? "" }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// An answer: status, a wait before it, and headers.
    public struct Answer: Sendable {
        public var status: Int
        public var delay: Duration
        public var headers: [(String, String)]
        /// Sends the head and the first bytes of a 100 kB body, then nothing more (a receiver that hangs mid-answer).
        public var stallsInBody: Bool
        public init(status: Int = 200, delay: Duration = .zero, headers: [(String, String)] = [], stallsInBody: Bool = false) {
            self.status = status
            self.delay = delay
            self.headers = headers
            self.stallsInBody = stallsInBody
        }
    }

    /// How to answer the request, given how many arrived before it.
    public typealias Behaviour = @Sendable (_ request: Request, _ index: Int) -> Answer

    private let channel: any Channel
    private let state = Mutex<(requests: [Request], behaviour: Behaviour)>(([], { _, _ in Answer() }))
    private let children = Mutex<[any Channel]>([])
    public let port: Int

    /// Every request so far, in order of arrival.
    public var requests: [Request] { self.state.withLock { $0.requests } }

    /// `http://127.0.0.1:<port><path>`.
    public func url(_ path: String = "/hook") -> String { "http://127.0.0.1:\(self.port)\(path)" }

    /// Answers from now on as `behaviour` says.
    public func answer(_ behaviour: @escaping Behaviour) {
        self.state.withLock { $0.behaviour = behaviour }
    }

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    /// Listens on 127.0.0.1, on a port of the kernel's choosing.
    public static func start(_ behaviour: @escaping Behaviour = { _, _ in Answer() }) async throws -> TestReceiver {
        let box = Mutex<TestReceiver?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.pipeline.configureHTTPServerPipeline().flatMap {
                    guard let receiver = box.withLock({ $0 }) else { return child.eventLoop.makeSucceededVoidFuture() }
                    receiver.children.withLock { $0.append(child) }
                    return child.pipeline.addHandler(Handler(receiver: receiver))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let receiver = TestReceiver(channel: channel)
        receiver.answer(behaviour)
        box.withLock { $0 = receiver }
        return receiver
    }

    /// Stops listening and closes every connection (requests waiting for their delay are dropped).
    public func stop() async {
        try? await self.channel.close()
        for child in self.children.withLock({ $0 }) { try? await child.close() }
    }

    fileprivate func record(_ request: Request) -> Answer {
        self.state.withLock { state in
            let index = state.requests.count
            state.requests.append(request)
            return state.behaviour(request, index)
        }
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let receiver: TestReceiver
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(receiver: TestReceiver) { self.receiver = receiver }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                self.body = []
            case .body(let chunk):
                self.body += chunk.readableBytesView
            case .end:
                guard let head = self.head else { return }
                var headers: [String: String] = [:]
                for (name, value) in head.headers { headers[name.lowercased()] = value }
                let answer = self.receiver.record(Request(method: "\(head.method)", uri: head.uri, headers: headers, body: self.body))
                let keepAlive = head.isKeepAlive
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                let respond = {
                    let (handler, context) = loopBound.value
                    var fields = HTTPHeaders([("content-length", answer.stallsInBody ? "100000" : "2"), ("content-type", "text/plain")])
                    for (name, value) in answer.headers { fields.add(name: name, value: value) }
                    if !keepAlive { fields.add(name: "connection", value: "close") }
                    let status = HTTPResponseStatus(statusCode: answer.status)
                    context.write(
                        handler.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: fields))), promise: nil)
                    context.write(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
                    if answer.stallsInBody {
                        context.flush()
                        return
                    }
                    context.writeAndFlush(handler.wrapOutboundOut(.end(nil))).whenComplete { _ in
                        if !keepAlive { context.close(promise: nil) }
                    }
                }
                if answer.delay > .zero {
                    let nanoseconds = answer.delay.components.seconds * 1_000_000_000 + answer.delay.components.attoseconds / 1_000_000_000
                    context.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { respond() }
                } else {
                    respond()
                }
            }
        }
    }
}
