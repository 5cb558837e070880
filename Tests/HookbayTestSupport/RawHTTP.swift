import Foundation
import NIOCore
import Testing

/// HTTP/1.1 over a plain socket, for what a test client hides: pipelining, chunked bodies, `Connection: close`.
public enum RawHTTP {
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
    }

    /// A POST with a `Content-Length`, signed with the test secret unless `signed` is false.
    public static func post(_ path: String, body: String, signed: Bool = true, extra: String = "") -> String {
        let signature = signed ? "X-Webhook-Signature: \(Fixtures.signature(body))\r\n" : ""
        return "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\(signature)\(extra)"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// Sends `requests` in one write and reads `count` answers.
    public static func exchange(port: Int, _ requests: String, expecting count: Int) async throws -> [Answer] {
        let (answers, _) = try await self.talk(port: port, requests, count: count)
        return answers
    }

    /// Sends `requests` in one write and reads one answer per element of `bodiless`: when true, an answer to `HEAD`,
    /// whose head ends it whatever its `Content-Length` says.
    public static func exchange(port: Int, _ requests: String, bodiless: [Bool]) async throws -> [Answer] {
        let (answers, _) = try await self.talk(port: port, requests, count: bodiless.count, bodiless: bodiless)
        return answers
    }

    /// Sends `request` and reads until the server closes; the answers and whether it closed within 5 s.
    public static func exchangeUntilClosed(port: Int, _ request: String) async throws -> ([Answer], Bool) {
        try await self.talk(port: port, request, count: nil)
    }

    private static func talk(port: Int, _ requests: String, count: Int?, bodiless: [Bool] = []) async throws -> ([Answer], Bool) {
        let fd = try Sockets.connect(port)
        return await Sockets.blocking {
            defer { close(fd) }
            let bytes = Array(requests.utf8)
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent <= 0 { break }
                offset += sent
            }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var received: [UInt8] = []
            var answers: [Answer] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while count.map({ answers.count < $0 }) ?? true {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { return (answers, n == 0) }
                received += buffer[0..<n]
                while let (answer, used) = parse(received, bodiless: answers.count < bodiless.count && bodiless[answers.count]) {
                    answers.append(answer)
                    received.removeFirst(used)
                }
            }
            return (answers, false)
        }
    }

    /// Reads one answer from `fd` (blocking, 10 s at most).
    public static func readAnswer(_ fd: Int32) -> Answer? {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let (answer, _) = parse(received) { return answer }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return nil }
            received += buffer[0..<n]
        }
    }

    /// One answer from the front of `bytes` (which must carry a `Content-Length`, or be `bodiless`), and how many bytes
    /// it took.
    public static func parse(_ bytes: [UInt8], bodiless: Bool = false) -> (Answer, Int)? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = bytes.indices.dropLast(3).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else { return nil }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = bodiless ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = end + 4
        guard bytes.count >= bodyStart + length else { return nil }
        return (
            Answer(status: status, headers: headers, body: String(decoding: bytes[bodyStart..<bodyStart + length], as: UTF8.self)),
            bodyStart + length
        )
    }
}
