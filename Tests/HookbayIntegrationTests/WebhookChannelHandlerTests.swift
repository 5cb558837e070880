import Foundation
import HTTPTypes
import HookbayJSON
import HookbayRedis
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// Deliveries served on the event loop (``WebhookChannelHandler``): the same answers as the router, requests answered
/// in order on a connection whatever path each takes, and the Redis path under concurrent load.
@Suite struct EventLoopReceiveTests {
    /// One request of a scripted exchange.
    struct Step: Sendable, CustomStringConvertible {
        var name: String
        var platform: String
        var body: String
        var headers: HTTPFields
        var description: String { name }
    }

    /// What a client can see of an answer.
    struct Answer: Equatable, CustomStringConvertible {
        var status: Int
        var contentType: String?
        var retryAfter: String?
        var body: String
        var description: String { "\(status) \(contentType ?? "-") retry-after=\(retryAfter ?? "-") \(body)" }
    }

    static let files = [
        "n.yaml": Fixtures.platformYAML(id: "netflix", extra: "subscribe: [content_added, content_updated]"),
        "off.yaml": Fixtures.platformYAML(id: "off", extra: "enabled: false"),
        "tight.yaml": Fixtures.platformYAML(id: "tight", extra: "rate_limit: { per_minute: 1, burst: 1 }"),
    ]

    /// Every kind of answer a delivery can get, in an order where each depends on the ones before.
    static var steps: [Step] {
        let good = Fixtures.envelope(platform: "netflix", contentID: "el-1")
        let noID = #"{"event_type":"content_added","platform":"netflix","timestamp":"2025-12-06T00:00:00Z","payload":{"title":"x"}}"#
        let unsubscribed = Fixtures.envelope(platform: "netflix", eventType: "content_removed", contentID: "el-2")
        let tight = Fixtures.envelope(platform: "tight", contentID: "el-3")
        return [
            Step(name: "accepted", platform: "netflix", body: good, headers: Fixtures.signedHeaders(good)),
            Step(name: "duplicate", platform: "netflix", body: good, headers: Fixtures.signedHeaders(good)),
            Step(name: "forged", platform: "netflix", body: good, headers: Fixtures.signedHeaders(good, secret: "attacker")),
            Step(name: "unsigned", platform: "netflix", body: good, headers: [:]),
            Step(name: "not JSON", platform: "netflix", body: "{not json", headers: Fixtures.signedHeaders("{not json")),
            Step(name: "missing field", platform: "netflix", body: noID, headers: Fixtures.signedHeaders(noID)),
            Step(name: "ignored", platform: "netflix", body: unsubscribed, headers: Fixtures.signedHeaders(unsubscribed)),
            Step(name: "unknown platform", platform: "nope", body: good, headers: Fixtures.signedHeaders(good)),
            Step(name: "disabled", platform: "off", body: good, headers: Fixtures.signedHeaders(good)),
            Step(name: "within rate", platform: "tight", body: tight, headers: Fixtures.signedHeaders(tight)),
            Step(name: "over rate", platform: "tight", body: tight, headers: Fixtures.signedHeaders(tight)),
        ]
    }

    static func run(_ steps: [Step], on client: some TestClientProtocol) async throws -> [Answer] {
        var answers: [Answer] = []
        for step in steps {
            let response = try await client.execute(
                uri: "/api/v1/webhooks/\(step.platform)", method: .post, headers: step.headers,
                body: ByteBuffer(string: step.body))
            answers.append(
                Answer(
                    status: Int(response.status.code), contentType: response.headers[.contentType],
                    retryAfter: response.headers[.retryAfter], body: String(buffer: response.body)))
        }
        return answers
    }

    @Test func answersAsTheRouterDoes() async throws {
        let steps = Self.steps
        let (routed, _) = try ReceiveClient.app(files: Self.files)
        let viaRouter = try await routed.test(.router) { client in try await Self.run(steps, on: client) }
        let (live, _) = try ReceiveClient.app(files: Self.files)
        let viaEventLoop = try await live.test(.live) { client in
            // Each answer carries the headers the router's do.
            let response = try await client.execute(uri: "/api/v1/webhooks/nope", method: .post, body: ByteBuffer(string: "{}"))
            #expect(response.headers[.server] == "hookbay")
            #expect(response.headers[.date]?.hasSuffix(" GMT") == true)
            return try await Self.run(steps, on: client)
        }
        #expect(viaRouter.map(\.status) == [202, 200, 401, 401, 400, 400, 200, 404, 503, 202, 429])
        for (step, (router, eventLoop)) in zip(steps, zip(viaRouter, viaEventLoop)) {
            #expect(router == eventLoop, "\(step): router \(router), event loop \(eventLoop)")
        }
    }

    @Test func dateHeaderIsAnIMFFixdate() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(1_798_761_600) == "Fri, 01 Jan 2027 00:00:00 GMT")
    }

    /// Pipelined requests, some served on the event loop and some by the router, are answered in the order sent.
    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let (app, gateway) = try ReceiveClient.app(files: Self.files)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let first = Fixtures.envelope(platform: "netflix", contentID: "pipe-1")
            let chunked = Fixtures.envelope(platform: "netflix", contentID: "pipe-2")
            let hexLength = String(chunked.utf8.count, radix: 16)
            let requests = [
                RawHTTP.post("/api/v1/webhooks/netflix", body: first),
                "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                RawHTTP.post("/api/v1/webhooks/register", body: "{}", signed: false),
                RawHTTP.post("/api/v1/webhooks/metrics", body: "{}", signed: false),
                RawHTTP.post("/api/v1/webhooks/netflix", body: first),
                "POST /api/v1/webhooks/netflix HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    + "X-Webhook-Signature: \(Fixtures.signature(chunked))\r\n\r\n\(hexLength)\r\n\(chunked)\r\n0\r\n\r\n",
                RawHTTP.post("/api/v1/webhooks/nope", body: "{}", signed: false),
            ]
            let answers = try await RawHTTP.exchange(port: port, requests.joined(), expecting: requests.count)
            #expect(answers.map(\.status) == [202, 200, 403, 405, 200, 202, 404])
            #expect(answers[0].body.contains(#""status":"accepted""#))
            #expect(answers[1].body.contains("alive"))
            #expect(answers[4].body.contains(#""status":"duplicate""#))
            #expect(answers[6].body.contains("unsupported_platform"))
            let entries = (gateway.queue as! InMemoryWebhookQueue).entries(platform: "netflix")
            #expect(entries.count == 2)
        }
    }

    /// An answer to `HEAD` ends with its head, between deliveries answered on the event loop: the router's body for it
    /// is dropped and the answers after it stay in step.
    @Test func headAnswersCarryNoBody() async throws {
        let (app, _) = try ReceiveClient.app(files: Self.files)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let body = Fixtures.envelope(platform: "netflix", contentID: "head-1")
            let requests = [
                RawHTTP.post("/api/v1/webhooks/netflix", body: body),
                "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                RawHTTP.post("/api/v1/webhooks/netflix", body: body),
                "HEAD /api/v1/webhooks/netflix HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            ]
            let answers = try await RawHTTP.exchange(port: port, requests.joined(), bodiless: [false, true, false, true, false])
            #expect(answers.map(\.status) == [202, 405, 200, 405, 200])
            #expect(answers[1].headers["content-length"].flatMap { Int($0) } ?? 0 > 0, "a HEAD answer keeps the length a GET's would have")
            #expect(answers[2].body.contains(#""status":"duplicate""#))
            #expect(answers[4].body.contains("alive"))
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        let (app, _) = try ReceiveClient.app(files: Self.files)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let body = Fixtures.envelope(platform: "netflix", contentID: "close-1")
            let request = RawHTTP.post("/api/v1/webhooks/netflix", body: body, extra: "Connection: close\r\n")
            let (answers, closed) = try await RawHTTP.exchangeUntilClosed(port: port, request)
            #expect(answers.map(\.status) == [202])
            #expect(answers.first?.headers["connection"] == "close")
            #expect(closed)
        }
    }

    /// A connection kept busy with deliveries for longer than the idle timeout stays open; left idle, it is closed.
    @Test func busyConnectionOutlivesTheIdleTimeout() async throws {
        let dir = try Fixtures.configDirectory(Self.files)
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: nil)
        configuration.idleTimeout = .seconds(1)
        let (app, _) = try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let fd = try Sockets.connect(port)
            defer { close(fd) }
            let (statuses, closedWhenIdle) = await Sockets.blocking { () -> ([Int], Bool) in
                var statuses: [Int] = []
                // A delivery every 250 ms for 2.5 s on one connection: two and a half idle timeouts.
                for i in 0..<10 {
                    let request = Array(
                        RawHTTP.post(
                            "/api/v1/webhooks/netflix",
                            body: Fixtures.envelope(platform: "netflix", contentID: "busy-\(i)")
                        ).utf8)
                    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { break }
                    guard let answer = RawHTTP.readAnswer(fd) else { break }
                    statuses.append(answer.status)
                    usleep(250_000)
                }
                // Then idle: closed after about a second.
                var timeout = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var byte: UInt8 = 0
                return (statuses, recv(fd, &byte, 1, 0) == 0)
            }
            #expect(statuses == Array(repeating: 202, count: 10))
            #expect(closedWhenIdle)
        }
    }

    /// Many connections at once, each with many deliveries, over the per-event-loop Redis connections: every one
    /// accepted once, and a Redis that is down answers 503 from the same path.
    @Test(.enabled(if: TestRedis.enabled, "set REDIS_URL (bash scripts/test does) to run the Redis tests"))
    func concurrentDeliveriesOnRedis() async throws {
        let platform = Fixtures.uniqueID()
        let keys = QueueKeys(platform: platform)
        let (app, _) = try RedisReceiveTests.app(platform: platform, extra: "rate_limit: { per_minute: 100000 }")
        let redis = try RedisReceiveTests.redis()
        defer { redis.shutdown() }
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let connections = 8
            let perConnection = 25
            let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                for c in 0..<connections {
                    group.addTask {
                        let requests = (0..<perConnection).map { i in
                            RawHTTP.post("/api/v1/webhooks/\(platform)", body: Fixtures.envelope(platform: platform, contentID: "c\(c)-\(i)"))
                        }
                        return try await RawHTTP.exchange(port: port, requests.joined(), expecting: perConnection).map(\.status)
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(statuses.count == connections * perConnection)
            #expect(statuses.allSatisfy { $0 == 202 })
            #expect(try await redis.xlen(keys.incoming) == connections * perConnection)
            // A second round of the same deliveries: all duplicates, nothing added.
            let again = try await RawHTTP.exchange(
                port: port,
                (0..<perConnection).map { i in
                    RawHTTP.post("/api/v1/webhooks/\(platform)", body: Fixtures.envelope(platform: platform, contentID: "c0-\(i)"))
                }.joined(), expecting: perConnection)
            #expect(again.allSatisfy { $0.status == 200 && $0.body.contains("duplicate") })
            #expect(try await redis.xlen(keys.incoming) == connections * perConnection)
            _ = try await redis.send(["DEL", .string(keys.incoming)])
        }
    }

    @Test func redisDownAnswers503() async throws {
        let platform = Fixtures.uniqueID()
        let (app, _) = try RedisReceiveTests.app(platform: platform, redisURL: "redis://127.0.0.1:1")
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let answers = try await RawHTTP.exchange(
                port: port, RawHTTP.post("/api/v1/webhooks/\(platform)", body: Fixtures.envelope(platform: platform)), expecting: 1)
            #expect(answers.map(\.status) == [503])
            #expect(answers.first?.headers["retry-after"] == "5")
            #expect(answers.first?.body.contains("queue_unavailable") == true)
        }
    }
}
