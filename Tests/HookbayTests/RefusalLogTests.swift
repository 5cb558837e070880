import HookbayTestSupport
import Logging
import Synchronization
import Testing

@testable import Hookbay

/// A thousand forged deliveries write one summary line at info, not a thousand.
@Suite struct RefusalLogTests {
    final class Capture: Sendable {
        let lines = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])
    }

    struct Handler: LogHandler {
        let capture: Capture
        var logLevel: Logger.Level = .info
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            capture.lines.withLock { $0.append((event.level, "\(event.message)", event.metadata ?? [:])) }
        }
    }

    @Test func refusalsAreSummarisedPerInterval() async throws {
        let capture = Capture()
        let logger = Logger(label: "test") { _ in Handler(capture: capture) }
        let log = RefusalLog(interval: .milliseconds(200))
        let forged = WebhookError.invalidSignature(.mismatch)
        for _ in 0..<1000 { log.record(forged, platform: "alpha", logger: logger) }
        #expect(capture.lines.withLock { $0.isEmpty }, "refusals inside the interval write nothing at info")
        try await Task.sleep(for: .milliseconds(250))
        log.record(forged, platform: "alpha", logger: logger)
        let lines = capture.lines.withLock { $0 }
        #expect(lines.count == 1)
        #expect(lines.first?.1 == "deliveries refused in the last interval")
        #expect(lines.first?.2["invalid_signature"] == .stringConvertible(1001))
    }
}
