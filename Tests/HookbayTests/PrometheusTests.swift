import Foundation
import HTTPTypes
import HookbayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import Hookbay

/// `GET /metrics` in Prometheus text format.
@Suite struct PrometheusTests {
    /// Parses the text exposition format strictly enough to fail on anything malformed: `# HELP`/`# TYPE` lines, and
    /// samples `name{label="value",...} number`.
    static func parse(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") || line.hasPrefix("# HELP ") { continue }
            guard let space = line.lastIndex(of: " ") else { throw TestSetupError("no value in: \(line)") }
            let series = String(line[..<space])
            guard let value = Double(line[line.index(after: space)...]) else { throw TestSetupError("bad value in: \(line)") }
            let name = series.prefix { $0 != "{" }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }) else {
                throw TestSetupError("bad metric name in: \(line)")
            }
            if series.contains("{") {
                guard series.hasSuffix("}") else { throw TestSetupError("unterminated labels in: \(line)") }
                let labels = series.drop { $0 != "{" }.dropFirst().dropLast()
                for pair in labels.split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2, parts[1].hasPrefix("\""), parts[1].hasSuffix("\"") else {
                        throw TestSetupError("bad label in: \(line)")
                    }
                }
            }
            samples[series] = value
        }
        return samples
    }

    @Test func metricsParseAndMove() async throws {
        let (app, _) = try ReceiveClient.app(files: ["n.yaml": Fixtures.platformYAML(id: "netflix", extra: "rate_limit: { per_minute: 2, burst: 2 }")]
        )
        try await app.test(.router) { client in
            let before = try Self.parse(String(buffer: try await client.execute(uri: "/metrics", method: .get).body))
            #expect(before["hookbay_webhooks_accepted_total{platform=\"netflix\"}"] == nil)

            let body = Fixtures.envelope(platform: "netflix")
            _ = try await ReceiveClient.post(client, body: body)
            _ = try await ReceiveClient.post(client, body: body)
            _ = try await ReceiveClient.post(client, body: Fixtures.envelope(platform: "netflix", contentID: "x"), headers: [:])
            _ = try await ReceiveClient.post(client, body: Fixtures.envelope(platform: "netflix", contentID: "y"))
            _ = try await ReceiveClient.post(client, platform: "nope", body: body)

            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = String(buffer: response.body)
            let after = try Self.parse(text)
            #expect(after["hookbay_webhooks_received_total{platform=\"netflix\"}"] == 4)
            #expect(after["hookbay_webhooks_accepted_total{platform=\"netflix\"}"] == 1)
            #expect(after["hookbay_webhooks_duplicate_total{platform=\"netflix\"}"] == 1)
            #expect(after["hookbay_webhooks_rejected_total{platform=\"netflix\",reason=\"invalid_signature\"}"] == 1)
            #expect(after["hookbay_webhooks_rate_limited_total{platform=\"netflix\"}"] == 1)
            #expect(after["hookbay_webhooks_rejected_total{platform=\"_unknown\",reason=\"unsupported_platform\"}"] == 1)
            #expect(after["hookbay_receive_duration_seconds_count{platform=\"netflix\"}"] == 4)
            #expect(after["hookbay_enqueue_duration_seconds_count{platform=\"netflix\"}"] == 2)
            #expect(text.contains("# TYPE hookbay_receive_duration_seconds histogram"))
        }
    }

    @Test func queueDepthGaugesAndProcessingCounters() async throws {
        let (app, gateway, platform) = try ReceiveClient.processingApp(extra: "", redisURL: nil, workers: 1)
        try await app.test(.live) { client in
            #expect(try await ReceiveClient.post(client, platform: platform, body: Fixtures.envelope(platform: platform)).status == .accepted)
            #expect(try await eventually { try await gateway.queue.stats(platform: platform).processed == 1 })
            gateway.metrics.setQueueDepth(platform: platform, try await gateway.queue.stats(platform: platform))
            let samples = try Self.parse(String(buffer: try await client.execute(uri: "/metrics", method: .get).body))
            #expect(samples["hookbay_events_processed_total{platform=\"\(platform)\"}"] == 1)
            #expect(samples["hookbay_queue_pending{platform=\"\(platform)\"}"] == 0)
            #expect(samples["hookbay_processing_duration_seconds_count{platform=\"\(platform)\"}"] == 1)
        }
    }
}
