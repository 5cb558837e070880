import Benchmark
import Crypto
import Foundation
import Hookbay
import HookbayJSON
import HookbayPluginKit

/// A ~600-byte seed envelope, like scripts/bench posts.
let body = Array("""
    {"event_type":"content_updated","platform":"bench","timestamp":"2025-12-06T00:00:00Z","payload":{"content_id":"bench-1",\
    "title":"Title 1 \(String(repeating: "x", count: 420))","content_type":"movie","regions":["US","DE"]}}
    """.utf8)

let platform: PlatformConfig = {
    let loader = PlatformFileParser(environment: ["BENCH_SECRET": "bench-secret-0123456789"])
    return try! loader.parse(yaml: "platform: bench\nsecret_env: BENCH_SECRET\nrequired_fields: [content_id]\n", file: "bench.yaml")
}()

/// Where `swift build -c release` put the reference plugins (scripts/bench builds them first); HOOKBAY_PLUGIN_DIR overrides.
let pluginDirectory = ProcessInfo.processInfo.environment["HOOKBAY_PLUGIN_DIR"]
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/release").path

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.instructions, .mallocCountTotal, .wallClock, .throughput],
                                           maxDuration: .seconds(2))

    Benchmark("signature: hmac-sha256 over 600 bytes") { benchmark in
        let verifier = SignatureVerifier(signature: platform.signature, secrets: platform.secrets)
        let header = SignatureVerifier.sign(body: body, secret: platform.secrets[0], signature: platform.signature)
        for _ in benchmark.scaledIterations {
            blackHole(try verifier.verify(header: { _ in header }, body: body, now: 1_764_979_200))
        }
    }

    // The floor under the verifier: swift-crypto's one-shot HMAC and compare, nothing else.
    Benchmark("signature floor: swift-crypto one-shot HMAC-SHA256 check") { benchmark in
        let key = SymmetricKey(data: Array("bench-secret-0123456789".utf8))
        let mac = Array(HMAC<SHA256>.authenticationCode(for: body, using: key))
        for _ in benchmark.scaledIterations {
            blackHole(HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: key))
        }
    }

    Benchmark("envelope: strict parse + field checks") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try WebhookEnvelope(body: body, platform: platform))
        }
    }

    Benchmark("event id: canonical JSON + SHA-256") { benchmark in
        let envelope = try WebhookEnvelope(body: body, platform: platform)
        for _ in benchmark.scaledIterations {
            blackHole(EventIdentity.eventID(platform: "bench", envelope: envelope))
        }
    }

    // What the receive path pays for the adapter: the Netflix plugin declares its rules, checked on the parsed payload.
    Benchmark("plugin: Netflix receive-time check (its declared schema)") { benchmark in
        let plugin = try PluginLoader.load(path: pluginDirectory + "/libNetflixAdapter.so")
        let adapter = try AdapterInstance(plugin: plugin, configuration: .object([:]))
        let envelope = try WebhookEnvelope(body: body, platform: platform)
        let payloadJSON = CanonicalJSON.encode(envelope.payload)
        let event = AdapterEvent(platform: "bench", eventType: "content_updated", sourceEventType: "content_updated",
                                 eventID: String(repeating: "a", count: 64), receivedAt: 1_764_979_200_000,
                                 timestamp: envelope.timestamp, payload: envelope.payload)
        for _ in benchmark.scaledIterations {
            try adapter.validate(event, payloadJSON: payloadJSON)
        }
    }

    Benchmark("plugin: Netflix validate + process through the C ABI") { benchmark in
        let plugin = try PluginLoader.load(path: pluginDirectory + "/libNetflixAdapter.so")
        let adapter = try AdapterInstance(plugin: plugin, configuration: .object([:]))
        let event = PluginExercise.sampleEvent
        for _ in benchmark.scaledIterations {
            try adapter.validate(event)
            blackHole(try adapter.process(event))
        }
    }
}
