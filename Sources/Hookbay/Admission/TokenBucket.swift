/// A token bucket: `capacity` tokens, refilled continuously at `refillPerSecond`.
///
/// A value type driven by the caller's clock (monotonic nanoseconds), so it can be tested without waiting.
public struct TokenBucket: Sendable, Equatable {
    /// The outcome of asking for a token.
    public enum Decision: Sendable, Equatable {
        case allowed
        /// Denied; a token will be back after this many nanoseconds.
        case denied(retryAfterNanoseconds: UInt64)
    }

    public let capacity: Double
    public let refillPerSecond: Double
    private var tokens: Double
    private var updatedAt: UInt64

    /// A full bucket at time `now`.
    public init(capacity: Int, refillPerMinute: Int, now: UInt64) {
        self.capacity = Double(capacity)
        self.refillPerSecond = Double(refillPerMinute) / 60
        self.tokens = Double(capacity)
        self.updatedAt = now
    }

    /// A bucket for a platform's rate limit.
    public init(_ limit: PlatformConfig.RateLimit, now: UInt64) {
        self.init(capacity: limit.burst, refillPerMinute: limit.perMinute, now: now)
    }

    /// Takes one token if there is one.
    public mutating func take(now: UInt64) -> Decision {
        if now > self.updatedAt {
            let elapsed = Double(now - self.updatedAt) / 1e9
            self.tokens = min(self.capacity, self.tokens + elapsed * self.refillPerSecond)
            self.updatedAt = now
        }
        if self.tokens >= 1 {
            self.tokens -= 1
            return .allowed
        }
        let missing = 1 - self.tokens
        return .denied(retryAfterNanoseconds: UInt64((missing / self.refillPerSecond * 1e9).rounded(.up)))
    }

    /// Tokens available now (for tests and stats).
    public func available(now: UInt64) -> Double {
        guard now > self.updatedAt else { return self.tokens }
        return min(self.capacity, self.tokens + Double(now - self.updatedAt) / 1e9 * self.refillPerSecond)
    }
}
