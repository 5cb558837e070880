import HookbayTestSupport
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Hookbay

/// The router's responses are framed as NIO's paired server encoder frames them, and a response to `HEAD` or
/// `CONNECT` carries no body.
@Suite struct RouterResponseFramingTests {
    static func framed(
        _ status: HTTPResponseStatus, _ headers: [(String, String)], method: HTTPMethod?,
        version: HTTPVersion = .http1_1
    ) -> [String: String] {
        var head = HTTPResponseHead(version: version, status: status, headers: HTTPHeaders(headers))
        RouterResponseFramingHandler.frame(&head, method: method)
        return Dictionary(head.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
    }

    @Test func framingHeadersFollowTheMethodAndStatus() {
        // A length given is kept, and a stray transfer coding dropped.
        #expect(Self.framed(.ok, [("content-length", "5"), ("transfer-encoding", "chunked")], method: .GET) == ["content-length": "5"])
        // No length: chunked on HTTP/1.1, neither on HTTP/1.0 (the body ends with the connection).
        #expect(Self.framed(.ok, [], method: .GET) == ["transfer-encoding": "chunked"])
        #expect(Self.framed(.ok, [], method: .GET, version: .http1_0) == [:])
        // HEAD: the length a GET would have, never chunked (nothing follows the head).
        #expect(Self.framed(.ok, [("content-length", "5")], method: .HEAD) == ["content-length": "5"])
        #expect(Self.framed(.ok, [("transfer-encoding", "chunked")], method: .HEAD) == [:])
        // CONNECT, and statuses without a body: no framing at all.
        #expect(Self.framed(.ok, [("content-length", "5")], method: .CONNECT) == [:])
        #expect(Self.framed(.noContent, [("content-length", "0")], method: .GET) == [:])
        #expect(Self.framed(.notModified, [("transfer-encoding", "chunked")], method: .GET) == [:])
    }

    @Test func theBodyOfAnAnswerToHEADIsDropped() throws {
        let channel = EmbeddedChannel(handler: RouterResponseFramingHandler())
        defer { _ = try? channel.finish() }
        for method in [HTTPMethod.HEAD, .GET] {
            try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: "/")))
            try channel.writeInbound(HTTPServerRequestPart.end(nil))
        }
        _ = try channel.readInbound(as: HTTPServerRequestPart.self)
        let headers = HTTPHeaders([("content-length", "2")])
        for _ in 0..<2 {
            try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
            let body = channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "ok"))))
            try channel.writeOutbound(HTTPServerResponsePart.end(nil))
            try body.wait() // dropped, not failed: the router is not told of an error
        }
        var written: [String] = []
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
            switch part {
            case .head: written.append("head")
            case .body: written.append("body")
            case .end: written.append("end")
            }
        }
        // The answer to HEAD: head and end; the answer to GET: head, body, end.
        #expect(written == ["head", "end", "head", "body", "end"])
    }
}
