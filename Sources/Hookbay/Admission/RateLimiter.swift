import NIOCore
import Synchronization

/// One token bucket per platform, in this process.
///
/// A bucket is created on a platform's first request and kept while its settings stay the same; a changed rate
/// limit starts a fresh bucket.
public final class RateLimiter: Sendable {
    private struct Entry {
        var limit: PlatformConfig.RateLimit
        var bucket: TokenBucket
    }

    private let buckets = Mutex<[String: Entry]>([:])
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

    /// Forgets buckets of platforms no longer served.
    public func retain(platforms: Set<String>) {
        self.buckets.withLock { buckets in
            buckets = buckets.filter { platforms.contains($0.key) }
        }
    }
}
