import NIOCore
import Synchronization

/// One token bucket per platform, in this process; and, for platforms whose bucket is shared in Redis
/// (`rate_limit.scope: global`), until when it is known to be empty.
///
/// A bucket is created on a platform's first request and kept while its settings stay the same; a changed rate
/// limit starts a fresh bucket. A shared bucket found empty stays empty for the wait Redis answered (no gateway can
/// refill it faster), so deliveries meanwhile are refused here, without a round trip carrying their bodies.
public final class RateLimiter: Sendable {
    private struct Entry {
        var limit: PlatformConfig.RateLimit
        var bucket: TokenBucket
    }

    private let buckets = Mutex<[String: Entry]>([:])
    /// Platform → uptime nanoseconds until which its shared bucket has no token.
    private let sharedEmptyUntil = Mutex<[String: UInt64]>([:])
    private let clock: @Sendable () -> UInt64

    /// - Parameter clock: monotonic nanoseconds; the default is the system's uptime clock.
    public init(clock: @escaping @Sendable () -> UInt64 = { NIODeadline.now().uptimeNanoseconds }) {
        self.clock = clock
    }

    /// Takes a token from `platform`'s bucket.
    public func admit(platform: String, limit: PlatformConfig.RateLimit) -> TokenBucket.Decision {
        let now = self.clock()
        return self.buckets.withLock { buckets in
            if buckets[platform]?.limit != limit {
                buckets[platform] = Entry(limit: limit, bucket: TokenBucket(limit, now: now))
            }
            return buckets[platform]!.bucket.take(now: now)
        }
    }

    /// The bucket a platform's refused handshake `GET`s (wrong verify tokens) share, whatever its own rate limit: it
    /// bounds guessing, while the sender's own handshake is never charged.
    public static let handshakeLimit = PlatformConfig.RateLimit(perMinute: 60, burst: 20)

    /// Takes a token from `platform`'s handshake bucket (``handshakeLimit``), apart from its deliveries' bucket.
    public func admitHandshake(platform: String) -> TokenBucket.Decision {
        self.admit(platform: platform + "#handshake", limit: Self.handshakeLimit)
    }

    /// How long `platform`'s shared bucket is still known to be empty, or `nil`.
    public func sharedBucketWait(platform: String) -> UInt64? {
        let now = self.clock()
        return self.sharedEmptyUntil.withLock { until in
            guard let end = until[platform] else { return nil }
            guard end > now else {
                until[platform] = nil
                return nil
            }
            return end - now
        }
    }

    /// Notes that `platform`'s shared bucket has no token for `milliseconds` (Redis's answer, taken as at most an
    /// hour); returns that wait in nanoseconds.
    @discardableResult
    public func noteSharedBucketEmpty(platform: String, milliseconds: Int) -> UInt64 {
        let wait = UInt64(min(max(0, milliseconds), 3_600_000)) * 1_000_000
        let end = self.clock() + wait
        self.sharedEmptyUntil.withLock { $0[platform] = max($0[platform] ?? 0, end) }
        return wait
    }

    /// A wait as a `Retry-After` in whole seconds, rounded up, at least 1.
    public static func retryAfterSeconds(nanoseconds: UInt64) -> Int {
        max(1, Int(nanoseconds / 1_000_000_000 + (nanoseconds % 1_000_000_000 == 0 ? 0 : 1)))
    }

    /// The platforms (and handshake buckets) with state here, for tests.
    var keys: Set<String> {
        self.buckets.withLock { Set($0.keys) }.union(self.sharedEmptyUntil.withLock { $0.keys })
    }

    /// Forgets buckets of platforms no longer served (and their handshake buckets).
    public func retain(platforms: Set<String>) {
        self.buckets.withLock { buckets in
            buckets = buckets.filter { platforms.contains(String($0.key.prefix { $0 != "#" })) }
        }
        self.sharedEmptyUntil.withLock { until in
            until = until.filter { platforms.contains($0.key) }
        }
    }
}
