import Testing

@testable import Hookbay

/// The bounded memory of refused deliveries behind `GET /api/v1/admin/refusals`.
@Suite struct RecentRefusalsTests {
    @Test func aRingKeepsTheLastValuesInOrder() {
        var ring = BoundedRing<Int>(capacity: 3)
        #expect(ring.oldestFirst.isEmpty)
        for value in 1...2 { ring.append(value) }
        #expect(ring.oldestFirst == [1, 2])
        for value in 3...7 { ring.append(value) }
        #expect(ring.oldestFirst == [5, 6, 7])
        #expect(ring.newestFirst == [7, 6, 5])
        #expect(ring.count == 3)
    }

    @Test func keepsTheNewestFirstAndForgetsTheOldest() {
        let refusals = RecentRefusals(capacity: 4)
        for i in 0..<10 {
            refusals.record(
                .invalidSignature(.mismatch), platform: i % 2 == 0 ? "even" : "odd", served: true, requestID: "r\(i)",
                remoteAddress: "10.0.0.\(i)", at: Int64(i))
        }
        // Each platform keeps its own last 4.
        let recent = refusals.recent(limit: 10)
        #expect(recent.map(\.requestID) == ["r9", "r8", "r7", "r6", "r5", "r4", "r3", "r2"])
        #expect(recent.first?.status == 401)
        #expect(recent.first?.code == "invalid_signature")
        #expect(refusals.recent(limit: 10, platform: "even").map(\.requestID) == ["r8", "r6", "r4", "r2"])
        #expect(refusals.recent(limit: 1).map(\.requestID) == ["r9"])
    }

    @Test func aFloodOfUnservedIdsCannotPushAServedPlatformsRefusalsOut() {
        let refusals = RecentRefusals(capacity: 3)
        refusals.record(.invalidSignature(.mismatch), platform: "shop", served: true, requestID: "real", remoteAddress: "10.0.0.1", at: 1)
        for i in 0..<1000 {
            refusals.record(
                .unsupportedPlatform("x\(i)"), platform: "x\(i)", served: false, requestID: "n\(i)", remoteAddress: "10.9.9.9", at: 2 + Int64(i))
        }
        #expect(refusals.recent(limit: 200, platform: "shop").map(\.requestID) == ["real"])
        #expect(refusals.recent(limit: 200).count == 4)
    }

    @Test func aRunOfTheSameRefusalIsOneEntryWithItsCount() {
        let refusals = RecentRefusals(capacity: 3)
        for i in 0..<500 {
            refusals.record(
                .rateLimited("shop", retryAfterSeconds: 1), platform: "shop", served: true, requestID: "r\(i)", remoteAddress: "10.0.0.1",
                at: 100 + Int64(i))
        }
        refusals.record(.invalidSignature(.mismatch), platform: "shop", served: true, requestID: "sig", remoteAddress: "10.0.0.1", at: 700)
        refusals.record(.invalidSignature(.mismatch), platform: "shop", served: true, requestID: "sig2", remoteAddress: "10.0.0.2", at: 701)
        let recent = refusals.recent(limit: 10, platform: "shop")
        #expect(recent.map(\.requestID) == ["sig2", "sig", "r499"])
        #expect(recent.map(\.count) == [1, 1, 500])
        #expect(recent.last?.firstAt == 100)
        #expect(recent.last?.at == 599)
    }

    @Test func cutsWhatTheRequestControls() {
        let refusals = RecentRefusals(capacity: 2)
        let platform = String(repeating: "\u{00E9}", count: 1000)
        refusals.record(
            WebhookError(.badRequest, .invalidPayload, String(repeating: "x", count: 1 << 20)), platform: platform, served: false,
            requestID: "r", remoteAddress: nil)
        let kept = try! #require(refusals.recent(limit: 1).first)
        #expect(kept.platform.utf8.count <= RecentRefusals.maxPlatformBytes)
        #expect(kept.platform.hasSuffix("…"))
        #expect(kept.message.utf8.count <= RecentRefusals.maxMessageBytes)
        #expect(RecentRefusals.cut("short", to: 10) == "short")
    }
}
