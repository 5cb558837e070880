import Foundation
import Hookbay
import Hummingbird

/// Blocking socket helpers for what a test client hides (raw connections, trickled bytes, descriptor limits), run off
/// the concurrency pool, and a gateway with short connection timeouts.
public enum Sockets {
    /// Opens a TCP connection to 127.0.0.1:port; returns the socket.
    public static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let result = Fixtures.withLoopback(port) { Glibc.connect(fd, $0, $1) }
        guard result == 0 else {
            close(fd)
            throw TestSetupError("connect failed")
        }
        return fd
    }

    /// Raises this process's open-file limit towards `wanted` (up to the hard limit); returns the limit now.
    public static func raiseDescriptorLimit(toAllow wanted: Int) -> Int {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < rlim_t(wanted) {
            limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(limit.rlim_cur)
    }

    /// Runs blocking socket code on a thread of its own (see ``runBlocking(_:)``; Dispatch's global queues would cap
    /// it at one thread per core too).
    public static func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    /// Sends `bytes` one chunk at a time, `pause` apart, until the server closes the connection; returns the seconds
    /// that took, or `nil` if everything was sent and the connection stayed open.
    public static func trickle(_ fd: Int32, _ bytes: [UInt8], chunk: Int = 1, pause: useconds_t) -> Double? {
        let start = Date()
        var offset = 0
        signal(SIGPIPE, SIG_IGN)
        while offset < bytes.count {
            let end = min(offset + chunk, bytes.count)
            let sent = bytes[offset..<end].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return Date().timeIntervalSince(start) }
            offset = end
            // A closed connection shows as end-of-file on a non-blocking peek.
            var byte: UInt8 = 0
            if recv(fd, &byte, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK)) == 0 { return Date().timeIntervalSince(start) }
            usleep(pause)
        }
        return nil
    }

    public static func slowApp(idle: Duration, request: Duration) throws -> some ApplicationProtocol {
        let dir = try Fixtures.configDirectory(["n.yaml": Fixtures.platformYAML(id: "netflix")])
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: nil)
        configuration.idleTimeout = idle
        configuration.requestTimeout = request
        return try buildApplication(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger).application
    }
}
