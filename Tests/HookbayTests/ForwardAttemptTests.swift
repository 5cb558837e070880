import Testing

@testable import Hookbay

/// What follows one attempt to deliver: delivered, retried (with `Retry-After` honoured within bounds), or
/// dead-lettered; and `Retry-After` read from hostile text.
@Suite struct ForwardAttemptTests {
    let retry = RetryPolicy(maxAttempts: 3, baseDelayMilliseconds: 1000, maxDelayMilliseconds: 60_000)

    func decide(_ result: ForwardAttempt.Result, failedBefore: Int = 0) -> ForwardAttempt.Decision {
        ForwardAttempt.decide(result, failedBefore: failedBefore, retry: self.retry, now: 1_700_000_000, jitter: 1)
    }

    @Test func outcomes() {
        #expect(self.decide(.answered(status: 200, retryAfter: nil)) == .delivered)
        #expect(self.decide(.answered(status: 204, retryAfter: "5")) == .delivered)
        #expect(self.decide(.answered(status: 500, retryAfter: nil)) == .retry(afterMilliseconds: 1000, reason: "answered 500"))
        #expect(self.decide(.answered(status: 500, retryAfter: nil), failedBefore: 1) == .retry(afterMilliseconds: 2000, reason: "answered 500"))
        #expect(
            self.decide(.answered(status: 500, retryAfter: nil), failedBefore: 2)
                == .deadLetter(reason: "answered 500 (attempt 3 of 3, the last)"))
        #expect(self.decide(.answered(status: 404, retryAfter: "30")) == .retry(afterMilliseconds: 1000, reason: "answered 404"))
        #expect(
            self.decide(.answered(status: 301, retryAfter: nil))
                == .retry(afterMilliseconds: 1000, reason: "answered 301: redirects are not followed"))
        #expect(self.decide(.failed("timed out after 10000 ms")) == .retry(afterMilliseconds: 1000, reason: "timed out after 10000 ms"))
        #expect(self.decide(.refused("127.0.0.1 is a loopback address")) == .deadLetter(reason: "127.0.0.1 is a loopback address"))
        // Retry-After on 429 and 503: what it asks, within 1 s and max_delay_ms.
        #expect(self.decide(.answered(status: 429, retryAfter: "7")) == .retry(afterMilliseconds: 7000, reason: "answered 429"))
        #expect(self.decide(.answered(status: 503, retryAfter: "0")) == .retry(afterMilliseconds: 1000, reason: "answered 503"))
        #expect(self.decide(.answered(status: 503, retryAfter: "9999999999")) == .retry(afterMilliseconds: 60_000, reason: "answered 503"))
        #expect(self.decide(.answered(status: 429, retryAfter: "soon")) == .retry(afterMilliseconds: 1000, reason: "answered 429"))
        // The last attempt is the last, whatever Retry-After says; a negative count is no count.
        #expect(
            self.decide(.answered(status: 429, retryAfter: "1"), failedBefore: 2) == .deadLetter(reason: "answered 429 (attempt 3 of 3, the last)"))
        #expect(
            self.decide(.answered(status: 500, retryAfter: nil), failedBefore: Int.min) == .retry(afterMilliseconds: 1000, reason: "answered 500"))
        #expect(
            self.decide(.answered(status: 500, retryAfter: nil), failedBefore: Int.max)
                == .deadLetter(reason: "answered 500 (attempt \(Int.max) of 3, the last)"))
    }

    @Test func retryAfterIsReadOnlyInItsTwoForms() {
        let now: Int64 = 1_700_000_000 // Tue, 14 Nov 2023 22:13:20 GMT
        #expect(ForwardAttempt.retryAfterMilliseconds("120", now: now) == 120_000)
        #expect(ForwardAttempt.retryAfterMilliseconds(" 3 ", now: now) == 3000)
        #expect(ForwardAttempt.retryAfterMilliseconds("Tue, 14 Nov 2023 22:14:20 GMT", now: now) == 60_000)
        #expect(ForwardAttempt.retryAfterMilliseconds("Tue, 14 Nov 2023 22:13:20 GMT", now: now) == 0)
        #expect(ForwardAttempt.retryAfterMilliseconds("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == 0)
        #expect(ForwardAttempt.imfFixdate("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        // Any `now`, however absurd, without a trap.
        #expect(ForwardAttempt.retryAfterMilliseconds("Sun, 06 Nov 1994 08:49:37 GMT", now: .min) == Int64.max / 1000 * 1000)
        #expect(ForwardAttempt.retryAfterMilliseconds("Sun, 06 Nov 1994 08:49:37 GMT", now: .max) == 0)
        #expect(ForwardAttempt.imfFixdate("Thu, 29 Feb 2024 00:00:00 GMT") == 1_709_164_800)
        for hostile in [
            "", "-1", "+5", "1.5", "12345678901", "99999999999999999999", "0x10", "Tue, 14 Nov 2023 22:14:20 UTC",
            "Tue, 14 Nov 2023 25:14:20 GMT", "Tue, 14 Foo 2023 22:14:20 GMT", "Tue, 99 Nov 2023 22:14:20 GMT",
            "Tue, 14 Nov 20x3 22:14:20 GMT", "Tuesday, 14-Nov-23 22:14:20 GMT", String(repeating: "9", count: 100_000), "３",
        ] {
            #expect(ForwardAttempt.retryAfterMilliseconds(hostile, now: now) == nil, "\(hostile.prefix(40))")
        }
    }
}

/// The circuit breaker's transitions, as a table of events.
@Suite struct CircuitBreakerTests {
    @Test func opensAfterTheThresholdProbesAfterTheCoolDownAndBacksOff() {
        var breaker = CircuitBreaker(threshold: 3, baseCoolDown: 1000, maxCoolDown: 3000, probeTimeout: 500)
        #expect(breaker.permit(now: 0) == .attempt)
        breaker.failed(now: 0)
        breaker.failed(now: 1)
        #expect(breaker.state == .closed(failures: 2))
        breaker.succeeded()
        #expect(breaker.state == .closed(failures: 0))
        for at in 10..<13 { breaker.failed(now: Int64(at)) }
        #expect(breaker.state == .open(until: 1012, coolDown: 1000))
        #expect(breaker.permit(now: 500) == .wait(until: 1012))
        breaker.failed(now: 600) // an attempt let through before it opened
        #expect(breaker.state == .open(until: 1012, coolDown: 1000))
        #expect(breaker.permit(now: 1012) == .probe)
        #expect(breaker.permit(now: 1100) == .wait(until: 1512)) // one probe at a time
        breaker.failed(now: 1200)
        #expect(breaker.state == .open(until: 3200, coolDown: 2000))
        #expect(breaker.permit(now: 3200) == .probe)
        breaker.failed(now: 3300)
        #expect(breaker.state == .open(until: 6300, coolDown: 3000)) // capped
        #expect(breaker.permit(now: 6300) == .probe)
        #expect(breaker.permit(now: 6800) == .probe) // the probe went unanswered: another
        breaker.succeeded()
        #expect(breaker.state == .closed(failures: 0))
        #expect(breaker.name == "closed")
    }
}
