import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Hookbay

/// Idle connections are closed after `idleTimeout`, and many of them do not stop new requests from being served.
@Suite struct ConnectionTests {
    /// Opens a TCP connection to 127.0.0.1:port; returns the socket.
    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { close(fd); throw TestSetupError("connect failed") }
        return fd
    }

    @Test func idleConnectionsAreClosedAndDoNotBlockOthers() async throws {
        let dir = try Fixtures.configDirectory(["n.yaml": Fixtures.platformYAML(id: "netflix")])
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: nil)
        configuration.idleTimeout = .seconds(1)
        let (app, _) = try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // 500 idle connections.
            var idle: [Int32] = []
            defer { for fd in idle { close(fd) } }
            for _ in 0..<500 { idle.append(try Self.connect(port)) }
            // New requests are still served at once.
            #expect(try await ReceiveTests.post(client, body: Fixtures.envelope(platform: "netflix")).status == .accepted)
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
}
