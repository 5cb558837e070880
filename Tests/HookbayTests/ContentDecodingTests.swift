import HookbayTestSupport
import NIOCore
import Testing

@testable import Hookbay

/// `Content-Encoding: gzip` and `deflate` bodies, inflated with bounds.
@Suite struct ContentDecodingTests {
    static let json = Array(#"{"event_type":"content_added","platform":"p","payload":{"content_id":"1","title":"Gzipped"}}"#.utf8)

    static func decode(
        _ bytes: [UInt8], _ encoding: String?, accepted: Set<PlatformConfig.ContentCoding> = [.gzip, .deflate], limit: Int = 1 << 20
    ) throws(WebhookError) -> [UInt8]? {
        try ContentDecoding.decode(ByteBuffer(bytes: bytes), encoding: encoding, accepted: accepted, limit: limit).map { Array($0.readableBytesView) }
    }

    @Test func onlyTheCodingsAPlatformListsAreDecoded() throws {
        #expect(try Self.decode(Deflate.compress(Self.json, .gzip), "gzip", accepted: [.gzip]) == Self.json)
        for (encoding, accepted) in [("gzip", [PlatformConfig.ContentCoding.deflate]), ("deflate", [.gzip]), ("x-gzip", [])] {
            do {
                _ = try Self.decode(Deflate.compress(Self.json, .gzip), encoding, accepted: Set(accepted))
                Issue.record("decoded \(encoding) for a platform accepting \(accepted)")
            } catch {
                #expect(error.status == .unsupportedMediaType && error.code == .unsupportedEncoding)
                #expect(error.message.contains("content_encoding"))
            }
        }
        // No coding, or identity, is never refused.
        #expect(try Self.decode(Self.json, " identity ", accepted: []) == nil)
        #expect(try Self.decode(Self.json, "", accepted: []) == nil)
    }

    @Test func theRatioBoundSaturates() {
        #expect(ContentDecoding.bound(encodedCount: Int.max, limit: 1 << 20) == 1 << 20)
        #expect(ContentDecoding.bound(encodedCount: Int.max / 50, limit: Int.max) == Int.max)
        #expect(ContentDecoding.bound(encodedCount: 10, limit: 1 << 20) == ContentDecoding.ratioAllowance)
        #expect(ContentDecoding.bound(encodedCount: 2000, limit: 1 << 20) == 200_000)
    }

    @Test func inflatesEachEncoding() throws {
        #expect(try Self.decode(Deflate.compress(Self.json, .gzip), "gzip") == Self.json)
        #expect(try Self.decode(Deflate.compress(Self.json, .gzip), " X-Gzip ") == Self.json)
        #expect(try Self.decode(Deflate.compress(Self.json, .zlib), "deflate") == Self.json)
        #expect(try Self.decode(Deflate.compress(Self.json, .raw), "deflate") == Self.json)
        #expect(try Self.decode(Self.json, nil) == nil)
        #expect(try Self.decode(Self.json, "identity") == nil)
        // A body that grows past a buffer's first size.
        let large = Array(repeating: Self.json, count: 200).flatMap { $0 }
        #expect(try Self.decode(Deflate.compress(large, .gzip), "gzip") == large)
    }

    @Test func aBombIs413AndACorruptStream400() throws {
        // 1 MiB of zeros is about a kilobyte of gzip: far past 100 times its size.
        let bomb = Deflate.compress([UInt8](repeating: 0, count: 1 << 20), .gzip)
        #expect(bomb.count < 2048)
        #expect(throws: WebhookError.self) { try Self.decode(bomb, "gzip", limit: 16 << 20) }
        do {
            _ = try Self.decode(bomb, "gzip", limit: 16 << 20)
        } catch {
            #expect(error.status == .contentTooLarge && error.code == .payloadTooLarge)
        }
        // Within the ratio but past the body limit.
        let text = Array(repeating: Self.json, count: 100).flatMap { $0 }
        #expect(throws: WebhookError.self) { try Self.decode(Deflate.compress(text, .gzip), "gzip", limit: 1000) }
        #expect(try Self.decode(Deflate.compress(text, .gzip), "gzip", limit: text.count) == text)
        #expect(throws: WebhookError.self) { try Self.decode(Deflate.compress(text, .gzip), "gzip", limit: text.count - 1) }

        let gzip = Deflate.compress(Self.json, .gzip)
        for corrupt in [Array(gzip.dropLast(5)), gzip + [0x00], Array(gzip.prefix(10)), Self.json, [], [0x1F, 0x8B]] {
            do {
                _ = try Self.decode(corrupt, "gzip")
                Issue.record("accepted a corrupt stream of \(corrupt.count) bytes")
            } catch {
                #expect(error.status == .badRequest && error.code == .invalidPayload)
            }
        }
        do {
            _ = try Self.decode(gzip, "br")
            Issue.record("accepted br")
        } catch {
            #expect(error.status == .unsupportedMediaType && error.code == .unsupportedEncoding)
        }
    }
}

/// Inflated bodies count against the process-wide receive budget until they are answered.
@Suite struct InflatedBodyBudgetTests {
    @Test func anInflatedBodyHoldsItsBytesUntilSettledAndRefusesPastTheBudget() async throws {
        let dir = try Fixtures.configDirectory(["p.yaml": Fixtures.platformYAML(id: "p", extra: "content_encoding: gzip")])
        var configuration = try Fixtures.gateway(configDirectory: dir, redisURL: nil)
        configuration.maxBufferedBytes = 3000
        let gateway = try Gateway(configuration: configuration, environment: Fixtures.environment, logger: Fixtures.logger)
        let receiver = gateway.receiver
        let json = Fixtures.envelope(platform: "p", title: String(repeating: "t", count: 1000))
        let compressed = ByteBuffer(bytes: Deflate.compress(Array(json.utf8), .gzip))
        let headers = ["content-encoding": "gzip", "x-webhook-signature": Fixtures.signature(json)]
        let platform = try receiver.platform("p")
        let admitted = try receiver.admit(platform: platform, body: compressed, header: { headers[$0.lowercased()] }, logger: Fixtures.logger)
        guard case .enqueue(let event, _) = admitted else {
            Issue.record("not admitted: \(admitted)")
            return
        }
        #expect(event.reservedBytes == json.utf8.count)
        #expect(gateway.limits.heldBytes == json.utf8.count)
        // A second one does not fit the 3000-byte budget beside it: 503, and nothing stays held for it.
        let json2 = Fixtures.envelope(platform: "p", contentID: "2", title: String(repeating: "u", count: 2500))
        let headers2 = ["content-encoding": "gzip", "x-webhook-signature": Fixtures.signature(json2)]
        #expect(throws: WebhookError.serverBusy) {
            try receiver.admit(
                platform: platform, body: ByteBuffer(bytes: Deflate.compress(Array(json2.utf8), .gzip)), header: { headers2[$0.lowercased()] },
                logger: Fixtures.logger)
        }
        #expect(gateway.limits.heldBytes == json.utf8.count)
        _ = receiver.settle(.success(.accepted(streamID: "1-0")), event: event, enqueueStartedAt: .now, logger: Fixtures.logger)
        #expect(gateway.limits.heldBytes == 0)
        // A forged one is inflated, refused, and holds nothing.
        let forged = ["content-encoding": "gzip", "x-webhook-signature": "sha256=" + String(repeating: "0", count: 64)]
        #expect(throws: WebhookError.self) {
            try receiver.admit(platform: platform, body: compressed, header: { forged[$0.lowercased()] }, logger: Fixtures.logger)
        }
        #expect(gateway.limits.heldBytes == 0)
    }
}
