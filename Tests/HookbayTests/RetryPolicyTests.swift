import HookbayTestSupport
import Testing

@testable import Hookbay

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 5, baseDelayMilliseconds: 1000, maxDelayMilliseconds: 600_000)

    @Test func doublesFromTheBaseAndCaps() {
        #expect(policy.delayMilliseconds(afterFailedAttempts: 1, jitter: 1) == 1000)
        #expect(policy.delayMilliseconds(afterFailedAttempts: 2, jitter: 1) == 2000)
        #expect(policy.delayMilliseconds(afterFailedAttempts: 4, jitter: 1) == 8000)
        #expect(policy.delayMilliseconds(afterFailedAttempts: 20, jitter: 1) == 600_000)
        #expect(policy.delayMilliseconds(afterFailedAttempts: 500, jitter: 1) == 600_000)
    }

    @Test func jitterKeepsAtLeastHalf() {
        #expect(policy.delayMilliseconds(afterFailedAttempts: 3, jitter: 0.5) == 2000)
        #expect(policy.delayMilliseconds(afterFailedAttempts: 3, jitter: 0) == 2000)
        for _ in 0..<100 {
            #expect((2000...4000).contains(policy.delayMilliseconds(afterFailedAttempts: 3)))
        }
    }

    @Test func retriesUntilMaxAttempts() {
        #expect(policy.shouldRetry(afterFailedAttempts: 4))
        #expect(!policy.shouldRetry(afterFailedAttempts: 5))
        #expect(!RetryPolicy(maxAttempts: 1).shouldRetry(afterFailedAttempts: 1))
    }

    @Test func parsedFromYAML() throws {
        let loader = PlatformFileParser(environment: Fixtures.environment)
        let config = try loader.parse(
            yaml: Fixtures.platformYAML(id: "a", extra: "retry: { max_attempts: 3, base_delay_ms: 50, max_delay_ms: 200 }"), file: "a.yaml")
        #expect(config.retry == RetryPolicy(maxAttempts: 3, baseDelayMilliseconds: 50, maxDelayMilliseconds: 200))
        #expect(throws: PlatformFileError.self) {
            try loader.parse(yaml: Fixtures.platformYAML(id: "a", extra: "retry: { base_delay_ms: 500, max_delay_ms: 200 }"), file: "a.yaml")
        }
    }
}
