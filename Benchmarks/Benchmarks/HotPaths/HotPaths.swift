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

/// One body of the realistic corpus, with the platform it is posted to (loaded as `serve` loads it) and its headers.
struct CorpusBody {
    let shape: String
    let body: [UInt8]
    let platform: ServedPlatform
    let headers: [String: String]
    let now: Int64

    func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
}

/// Benchmarks/corpus.py's bodies (GitHub push and pull_request, Stripe, Shopify, nested media, the push in the seed
/// envelope), written to a temporary directory with their platform files, smallest first.
let corpus: [CorpusBody] = {
    let benchmarksDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookbay-hotpaths-corpus-\(getpid())").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", benchmarksDirectory.appendingPathComponent("corpus.py").path, directory]
    process.standardOutput = FileHandle.nullDevice
    try! process.run()
    process.waitUntilExit()
    precondition(process.terminationStatus == 0, "Benchmarks/corpus.py failed")
    let loaded = try! PlatformLoader(environment: ["BENCH_SECRET": "bench-secret-0123456789"], pluginDirectories: [pluginDirectory])
        .load(directory: directory + "/platforms")
    precondition(loaded.problems.isEmpty, "the corpus platforms do not load: \(loaded.problems)")
    let index = try! JSONParser.parse(FileManager.default.contents(atPath: directory + "/index.json")!)
    let bodies = index.objectValue!.compactMap { shape, entry -> CorpusBody? in
        // The gzipped push is the push once decoded.
        guard !shape.hasSuffix("-gzip"), case .string(let platform)? = entry["platform"], case .object(let headers)? = entry["headers"],
            case .number(let now)? = entry["now"]
        else { return nil }
        return CorpusBody(
            shape: shape, body: Array(FileManager.default.contents(atPath: "\(directory)/\(shape).json")!), platform: loaded.platforms[platform]!,
            headers: headers.compactMapValues(\.stringValue), now: Int64(now)!)
    }
    try? FileManager.default.removeItem(atPath: directory)
    return bodies.sorted { $0.body.count < $1.body.count }
}()

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
            blackHole(EventIdentity.eventID(platform: "bench", eventType: envelope.eventType, payload: envelope.payload))
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

    // Per body of the realistic corpus, each step of the receive path that reads the body, as its platform runs it.
    for item in corpus {
        let name = "\(item.shape) (\(item.body.count) B)"
        let platform = item.platform
        Benchmark("corpus \(name): signature (\(platform.config.signature.scheme))") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try platform.verifier.verify(header: item.header, body: item.body, now: item.now))
            }
        }
        Benchmark("corpus \(name): strict parse, whole tree") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try JSONParser.parse(item.body))
            }
        }
        Benchmark("corpus \(name): strict parse, receive selection") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try JSONParser.parse(item.body, keeping: platform.receiveSelection))
            }
        }
        // What the receiver runs: the envelope parsed as the platform's selection keeps it, the event id, and the
        // adapter's rules.
        Benchmark("corpus \(name): envelope + event id + adapter rules") { benchmark in
            for _ in benchmark.scaledIterations {
                let envelope = try WebhookEnvelope(body: item.body, header: item.header, platform: platform.config, keeping: platform.receiveSelection)
                let (eventID, payloadJSON) = try WebhookReceiver.identify(envelope, in: item.body, served: platform)
                let event = AdapterEvent(
                    platform: platform.id, eventType: envelope.eventType.rawValue, sourceEventType: envelope.sourceEventType,
                    eventID: eventID, receivedAt: 0, timestamp: envelope.timestamp, payload: envelope.payload)
                try platform.adapter.validate(event, payloadJSON: payloadJSON)
            }
        }
        Benchmark("corpus \(name): canonical JSON + SHA-256 of the payload, from the whole tree") { benchmark in
            let payload = try WebhookEnvelope(body: item.body, header: item.header, platform: platform.config).payload
            for _ in benchmark.scaledIterations {
                blackHole(EventIdentity.eventID(platform: platform.id, eventType: .contentUpdated, payload: payload))
            }
        }
        Benchmark("corpus \(name): canonical JSON + SHA-256 of the payload, from the bytes") { benchmark in
            guard let tokens = platform.payloadTokens else { preconditionFailure("the corpus platform's payload pointer is malformed") }
            for _ in benchmark.scaledIterations {
                guard let payloadJSON = CanonicalJSON.encode(valueAt: tokens, in: item.body) else { preconditionFailure("the corpus body is not read") }
                blackHole(EventIdentity.eventID(platform: platform.id, eventType: .contentUpdated, payloadJSON: payloadJSON))
            }
        }
    }
}
