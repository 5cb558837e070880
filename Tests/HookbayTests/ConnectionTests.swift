import Foundation
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Hookbay

/// Idle connections are closed after `idleTimeout`, many of them do not stop new requests from being served, and
/// slow or oversized requests are cut off.
@Suite struct ConnectionTests {
    @Test func idleConnectionsAreClosedAndDoNotBlockOthers() async throws {
        let dir = try Fixtures.configDirectory(["n.yaml": Fixtures.platformYAML(id: "netflix")])
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: nil)
        configuration.idleTimeout = .seconds(1)
        let (app, _) = try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // 2,000 idle connections (each costs this process two descriptors: the client's and the server's).
            let count = Sockets.raiseDescriptorLimit(toAllow: 2000 * 2 + 256) >= 2000 * 2 + 256 ? 2000 : 500
            var idle: [Int32] = []
            defer { for fd in idle { close(fd) } }
            for _ in 0..<count { idle.append(try Sockets.connect(port)) }
            // New requests are still served at once (on a new connection: the test client's own may have idled out
            // while the others were opened on a busy machine).
            let body = Fixtures.envelope(platform: "netflix")
            let answer = await HookbayProcess.post(
                port: port, path: "/api/v1/webhooks/netflix", body: body,
                headers: ["X-Webhook-Signature": Fixtures.signature(body)])
            #expect(answer?.status == 202)
            // Each idle connection is closed by the server: a read returns end-of-file.
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            var closed = 0
            for fd in idle {
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var byte: UInt8 = 0
                if recv(fd, &byte, 1, 0) == 0 { closed += 1 }
            }
            #expect(closed == idle.count)
        }
    }

    @Test func bodyTrickledByteByByteIsCutOffAtTheRequestTimeout() async throws {
        try await Sockets.slowApp(idle: .seconds(30), request: .seconds(1)).test(.live) { client in
            let port = try #require(client.port)
            let body = Fixtures.envelope(platform: "netflix")
            let head =
                "POST /api/v1/webhooks/netflix HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "X-Webhook-Signature: \(Fixtures.signature(body))\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
            let fd = try Sockets.connect(port)
            defer { close(fd) }
            _ = head.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            // Ten bytes a second: the body would take ~10 s; the server closes after about one.
            let closedAfter = await Sockets.blocking { Sockets.trickle(fd, Array(body.utf8), pause: 100_000) }
            let seconds = try #require(closedAfter, "the trickled request was never cut off")
            #expect(seconds < 5)
            // And the server still answers others.
            #expect(try await ReceiveClient.post(client, body: Fixtures.envelope(platform: "netflix", contentID: "after")).status == .accepted)
        }
    }

    @Test func headersTrickledByteByByteAreCutOffAtTheIdleTimeout() async throws {
        try await Sockets.slowApp(idle: .seconds(1), request: .seconds(30)).test(.live) { client in
            let port = try #require(client.port)
            let head = "POST /api/v1/webhooks/netflix HTTP/1.1\r\nHost: x\r\nX-Padding: " + String(repeating: "a", count: 200) + "\r\n\r\n"
            let fd = try Sockets.connect(port)
            defer { close(fd) }
            let closedAfter = await Sockets.blocking { Sockets.trickle(fd, Array(head.utf8), pause: 50_000) }
            let seconds = try #require(closedAfter, "the trickled head was never cut off")
            #expect(seconds < 5)
        }
    }

    /// A 10 MiB head is refused (NIO's 80 KiB limit) and the server lives on. Whatever the server reads after the
    /// refusal is dropped, not buffered; what such an attack costs in memory is measured by `scripts/attack`, on a
    /// process of its own.
    @Test func tenMegabyteHeaderIsRefused() async throws {
        try await Sockets.slowApp(idle: .seconds(30), request: .seconds(30)).test(.live) { client in
            let port = try #require(client.port)
            let fd = try Sockets.connect(port)
            defer { close(fd) }
            let head = Array(
                ("POST /api/v1/webhooks/netflix HTTP/1.1\r\nHost: x\r\nX-Huge: " + String(repeating: "h", count: 10 << 20) + "\r\n\r\n").utf8)
            let answer: String = await Sockets.blocking {
                var offset = 0
                while offset < head.count {
                    let sent = head[offset...].withUnsafeBytes { send(fd, $0.baseAddress, min($0.count, 65536), Int32(MSG_NOSIGNAL)) }
                    if sent <= 0 { break } // the server closed the connection part-way: the rest is never read
                    offset += sent
                }
                var timeout = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = recv(fd, &buffer, buffer.count, 0)
                return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
            }
            // Either a 431 or a closed connection; never a 2xx, and the server lives on.
            #expect(answer.isEmpty || answer.hasPrefix("HTTP/1.1 4"))
            #expect(try await ReceiveClient.post(client, body: Fixtures.envelope(platform: "netflix", contentID: "after")).status == .accepted)
        }
    }
}
