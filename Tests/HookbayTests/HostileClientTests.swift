import Foundation
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Hookbay

/// Clients that do what the author did not expect, against a live server: each still gets a fast, honest answer,
/// and costs only its own connection.
@Suite struct HostileClientTests {
    static func app(maxConnections: Int = 4096, maxBufferedBytes: Int = 256 << 20, idleTimeout: Duration = .seconds(30)) throws
        -> some ApplicationProtocol
    {
        let dir = try Fixtures.configDirectory(["p.yaml": Fixtures.platformYAML(id: "netflix")])
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: nil)
        configuration.idleTimeout = idleTimeout
        configuration.maxConnections = maxConnections
        configuration.maxBufferedBytes = maxBufferedBytes
        return try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger).application
    }

    static func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// `Expect: 100-continue`: the interim answer comes at once (curl otherwise waits a second), then the final one.
    @Test func expectContinueIsAnsweredAtOnce() async throws {
        try await Self.app().test(.live) { client in
            let port = try #require(client.port)
            let body = Fixtures.envelope(platform: "netflix", contentID: "continue-1")
            let fd = try Sockets.connect(port)
            defer { close(fd) }
            let head =
                "POST /api/v1/webhooks/netflix HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "X-Webhook-Signature: \(Fixtures.signature(body))\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
            // Read before the body is sent: without the interim answer this read finds nothing (and gives up after 10 s).
            let interim = await Sockets.blocking {
                Self.send(fd, head)
                return RawHTTP.readAnswer(fd)
            }
            #expect(interim?.status == 100)
            let final = await Sockets.blocking {
                Self.send(fd, body)
                return RawHTTP.readAnswer(fd)
            }
            #expect(final?.status == 202)
        }
    }

    /// Bytes that are not HTTP after a pipelined delivery: the delivery's answer first, then the 400.
    @Test func garbageAfterADeliveryIsAnsweredInOrder() async throws {
        try await Self.app().test(.live) { client in
            let port = try #require(client.port)
            let request =
                RawHTTP.post("/api/v1/webhooks/netflix", body: Fixtures.envelope(platform: "netflix", contentID: "order-1"))
                + "GARBAGE \u{1} NOT HTTP\r\n\r\n"
            let (answers, closed) = try await RawHTTP.exchangeUntilClosed(port: port, request)
            #expect(answers.map(\.status) == [202, 400])
            #expect(closed)
        }
    }

    /// A client that half-closes right after sending still gets every answer.
    @Test func halfClosedClientGetsItsAnswers() async throws {
        try await Self.app().test(.live) { client in
            let port = try #require(client.port)
            let requests =
                (1...3).map { RawHTTP.post("/api/v1/webhooks/netflix", body: Fixtures.envelope(platform: "netflix", contentID: "half-\($0)")) }
                .joined() + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            let fd = try Sockets.connect(port)
            defer { close(fd) }
            let (answers, closed) = await Sockets.blocking { () -> ([Int], Bool) in
                Self.send(fd, requests)
                shutdown(fd, Int32(SHUT_WR))
                var timeout = timeval(tv_sec: 10, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var received: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65536)
                var n = 0
                repeat {
                    n = recv(fd, &buffer, buffer.count, 0)
                    if n > 0 { received += buffer[0..<n] }
                } while n > 0
                var statuses: [Int] = []
                while let (answer, used) = RawHTTP.parse(received) {
                    statuses.append(answer.status)
                    received.removeFirst(used)
                }
                return (statuses, n == 0)
            }
            #expect(answers == [202, 202, 202, 200])
            #expect(closed, "the server closes the connection once the answers are out")
        }
    }

    /// A chunked body over the limit is refused with the same JSON as any other refusal.
    @Test func chunkedBodyOverTheLimitIsAJSON413() async throws {
        try await Self.app().test(.live) { client in
            let port = try #require(client.port)
            let chunk = String(repeating: "a", count: 65536)
            let request =
                "POST /api/v1/webhooks/netflix HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(repeating: "\(String(chunk.utf8.count, radix: 16))\r\n\(chunk)\r\n", count: 20) + "0\r\n\r\n"
            let answers = try await RawHTTP.exchange(port: port, request, expecting: 1)
            #expect(answers.first?.status == 413)
            #expect(answers.first?.body.contains("payload_too_large") == true)
        }
    }

    /// Past `max_connections`, a new connection is answered 503 server_busy and closed; the ones inside keep working.
    @Test func connectionsPastTheCapAreRefused() async throws {
        try await Self.app(maxConnections: 3).test(.live) { client in
            let port = try #require(client.port)
            let held = try (0..<3).map { _ in try Sockets.connect(port) }
            defer { for fd in held { close(fd) } }
            try await Task.sleep(for: .milliseconds(200))
            // Answered and closed (reset, as the request it sent is never read).
            let (answers, _) = try await RawHTTP.exchangeUntilClosed(port: port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(answers.first?.status == 503)
            #expect(answers.first?.body.contains("server_busy") == true)
            let inside = await Sockets.blocking {
                Self.send(held[0], "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                return RawHTTP.readAnswer(held[0])
            }
            #expect(inside?.status == 200)
        }
    }

    /// Past the bytes held across connections, a delivery is refused before its body is read.
    @Test func deliveriesPastTheBufferedBytesAreRefused() async throws {
        try await Self.app(maxBufferedBytes: 1 << 20).test(.live) { client in
            let port = try #require(client.port)
            // One connection declares a 1 MiB body and sends none of it: the budget is spent.
            let hog = try Sockets.connect(port)
            Self.send(hog, "POST /api/v1/webhooks/netflix HTTP/1.1\r\nHost: x\r\nContent-Length: \(1 << 20)\r\n\r\n")
            try await Task.sleep(for: .milliseconds(200))
            let answers = try await RawHTTP.exchange(
                port: port, RawHTTP.post("/api/v1/webhooks/netflix", body: Fixtures.envelope(platform: "netflix")), expecting: 1)
            #expect(answers.first?.status == 503)
            #expect(answers.first?.body.contains("server_busy") == true)
            close(hog)
            try await Task.sleep(for: .milliseconds(200))
            let later = try await RawHTTP.exchange(
                port: port, RawHTTP.post("/api/v1/webhooks/netflix", body: Fixtures.envelope(platform: "netflix")), expecting: 1)
            #expect(later.first?.status == 202)
        }
    }

    /// A socket connected to `port` with a receive buffer of 4 KiB, set before connecting so that the window it
    /// offers the server stays small.
    static func connectWithSmallReceiveBuffer(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        guard Fixtures.withLoopback(port, { Glibc.connect(fd, $0, $1) }) == 0 else {
            close(fd)
            throw TestSetupError("connect failed")
        }
        return fd
    }

    /// Sends `stream` over and over, `pause` apart, and reads nothing, until the server closes the connection or
    /// `limit` passes; returns how long the server took to close it, `nil` if it did not. A send the server does not
    /// take gives up after 200 ms and is tried again 50 ms later, from where the last one stopped: `stream` is whole
    /// requests, so what the server reads stays well-formed HTTP (a 400 cannot close the connection for the wrong
    /// reason). The close shows as a failed send: a reset, at once if the server left bytes unread, else in answer
    /// to the next bytes sent.
    static func sendWithoutReading(_ fd: Int32, _ stream: [UInt8], pause: useconds_t = 0, limit: Duration) -> Duration? {
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let started = ContinuousClock.now
        var offset = 0
        while ContinuousClock.now - started < limit {
            let sent = stream[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return ContinuousClock.now - started }
                usleep(50_000)
            } else {
                offset = (offset + sent) % stream.count
                if pause > 0 { usleep(pause) }
            }
        }
        return nil
    }

    static let healthCheck = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

    /// A client that pipelines requests and never reads an answer stops being read once its answers back up, and is
    /// closed soon after: it cannot hold a connection slot for ever. The kernel's backlog is kept small
    /// (``GatewayHTTPChannel/unsentBytesLimit``), so the answers back up after some hundreds of them rather than the
    /// 20,000 the kernel would otherwise take on loopback (on a loaded machine, that much answering through the router
    /// could outlast the minute this test waited); the limit is generous and only a connection never closed reaches it.
    @Test func aClientThatNeverReadsIsClosedAfterTheIdleTimeout() async throws {
        try await Self.app(idleTimeout: .seconds(1)).test(.live) { client in
            let port = try #require(client.port)
            let fd = try Self.connectWithSmallReceiveBuffer(port)
            defer { close(fd) }
            let requests = Array(String(repeating: Self.healthCheck, count: 256).utf8)
            let closedAfter = await Sockets.blocking { Self.sendWithoutReading(fd, requests, limit: .seconds(60)) }
            try #require(closedAfter != nil, "the server never closed a connection whose answers were not read")
        }
    }

    /// The same client, stuck while its channel stays writable: a `Connection: close` request behind a few hundred
    /// answers it does not read (more than the kernel takes, less than the channel's high-water mark), then requests
    /// the server will never answer. The last answers cannot leave, so the connection cannot close after them, and
    /// requests stay in progress; a timer that took a busy, writable connection for one taking its answers kept it
    /// for ever. The output check closes it.
    @Test func aClientThatNeverReadsIsClosedThoughItsChannelStaysWritable() async throws {
        try await Self.app(idleTimeout: .seconds(1)).test(.live) { client in
            let port = try #require(client.port)
            let fd = try Self.connectWithSmallReceiveBuffer(port)
            defer { close(fd) }
            let closing = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            let burst = String(repeating: Self.healthCheck, count: 300) + closing + String(repeating: Self.healthCheck, count: 5)
            let poke = Array(Self.healthCheck.utf8)
            let closedAfter = await Sockets.blocking { () -> Duration? in
                Self.send(fd, burst)
                // Then a request every 100 ms, held behind the unanswered ones: only to see the connection close.
                return Self.sendWithoutReading(fd, poke, pause: 100_000, limit: .seconds(60))
            }
            try #require(closedAfter != nil, "the server kept a connection whose answers were not read")
        }
    }

    /// The other side of the output check: a slow but steady reader is not a hostile one. It pipelines 4,000 requests
    /// and takes at most 16 KiB of answers every 100 ms, so for seconds its answers back up in the channel (up to its
    /// high-water mark, 64 KiB) far longer than the one-second idle timeout; it still gets every one of them, because
    /// each check behind the waiting answers goes through within the timeout. (A pipelining reader must take about
    /// 64 KiB per idle timeout, some 2 KB/s at the default 30 s; one large answer counts its progress instead.)
    @Test func aSlowButSteadyReaderGetsEveryAnswer() async throws {
        try await Self.app(idleTimeout: .seconds(1)).test(.live) { client in
            let port = try #require(client.port)
            let fd = try Sockets.connect(port)
            defer { close(fd) }
            let count = 4000
            let requests = Array(String(repeating: Self.healthCheck, count: count).utf8)
            let (answers, closed) = await Sockets.blocking { () -> (Int, Bool) in
                var offset = 0
                var received: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 16384)
                let started = ContinuousClock.now
                let status = Array("HTTP/1.1 200".utf8)
                var answers = 0
                var scanned = 0
                while answers < count, ContinuousClock.now - started < .seconds(60) {
                    if offset < requests.count {
                        let sent = requests[offset...].withUnsafeBytes {
                            Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                        }
                        if sent > 0 { offset += sent }
                    }
                    let read = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                    if read == 0 { return (answers, true) }
                    if read < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR { return (answers, true) }
                    if read > 0 { received += buffer[0..<read] }
                    // Count the status lines that arrived whole.
                    while scanned + status.count <= received.count {
                        if received[scanned..<(scanned + status.count)].elementsEqual(status) { answers += 1 }
                        scanned += 1
                    }
                    usleep(100_000)
                }
                return (answers, false)
            }
            #expect(!closed, "the server closed a reader that kept taking its answers (\(answers) of \(count) read)")
            #expect(answers == count)
        }
    }
}
