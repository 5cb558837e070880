import HookbayTestSupport
import Synchronization
import Testing

@testable import Hookbay

@Suite struct TokenBucketTests {
    let second: UInt64 = 1_000_000_000

    @Test func allowsBurstThenDenies() {
        var bucket = TokenBucket(capacity: 3, refillPerMinute: 60, now: 0)
        #expect(bucket.take(now: 0) == .allowed)
        #expect(bucket.take(now: 0) == .allowed)
        #expect(bucket.take(now: 0) == .allowed)
        #expect(bucket.take(now: 0) == .denied(retryAfterNanoseconds: second))
    }

    @Test func refillsContinuously() {
        var bucket = TokenBucket(capacity: 1, refillPerMinute: 60, now: 0)
        #expect(bucket.take(now: 0) == .allowed)
        #expect(bucket.take(now: second / 2) == .denied(retryAfterNanoseconds: second / 2))
        #expect(bucket.take(now: second) == .allowed)
    }

    @Test func neverExceedsCapacity() {
        var bucket = TokenBucket(capacity: 2, refillPerMinute: 6000, now: 0)
        #expect(bucket.available(now: 3600 * second) == 2)
        #expect(bucket.take(now: 3600 * second) == .allowed)
        #expect(bucket.available(now: 3600 * second) == 1)
    }

    @Test func hundredPerMinuteDefault() {
        var bucket = TokenBucket(PlatformConfig.RateLimit(), now: 0)
        for _ in 0..<100 { #expect(bucket.take(now: 0) == .allowed) }
        guard case .denied(let wait) = bucket.take(now: 0) else {
            Issue.record("101st allowed")
            return
        }
        #expect(wait == 600_000_000) // 60 s / 100
    }

    @Test func limiterKeepsBucketUntilSettingsChange() {
        let now = Mutex<UInt64>(0)
        let limiter = RateLimiter(clock: { now.withLock { $0 } })
        let limit = PlatformConfig.RateLimit(perMinute: 1, burst: 1)
        #expect(limiter.admit(platform: "a", limit: limit) == .allowed)
        #expect(limiter.admit(platform: "a", limit: limit) != .allowed)
        #expect(limiter.admit(platform: "b", limit: limit) == .allowed)
        #expect(limiter.admit(platform: "a", limit: .init(perMinute: 2, burst: 1)) == .allowed)
    }
}
