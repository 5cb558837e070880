import Foundation
import HTTPTypes
import HookbayRedis
import Logging
import NIOCore
import Synchronization
import Testing

@testable import Hookbay

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where the Redis-backed tests find Redis: `REDIS_URL` (set by `scripts/test` and `.ci/run`).
public enum TestRedis {
    public static let environment = ProcessInfo.processInfo.environment
    public static let isCI = environment["CI"] == "true"

    /// Run the Redis tests when a Redis is configured, and always on CI, where a missing Redis must fail them.
    public static let enabled = environment["REDIS_URL"] != nil || isCI

    /// Whether tests that start their own `redis-server` can run (always on CI).
    public static let canSpawn = serverBinary != nil || isCI

    public static func url() throws -> String {
        guard let url = environment["REDIS_URL"], !url.isEmpty else {
            throw TestSetupError("REDIS_URL is not set: the Redis-backed tests need a running Redis (bash scripts/test starts one)")
        }
        return url
    }

    /// Run the Redis Cluster tests when a cluster is configured, and always on CI.
    public static let clusterEnabled = environment["HOOKBAY_TEST_REDIS_CLUSTER_URL"] != nil || isCI

    /// The private cluster's `redis+cluster://` URL: `HOOKBAY_TEST_REDIS_CLUSTER_URL` (set by `scripts/test`).
    public static func clusterURL() throws -> String {
        guard let url = environment["HOOKBAY_TEST_REDIS_CLUSTER_URL"], !url.isEmpty else {
            throw TestSetupError(
                "HOOKBAY_TEST_REDIS_CLUSTER_URL is not set: the Redis Cluster tests need a cluster (bash scripts/test starts one)")
        }
        return url
    }

    public static var serverBinary: String? {
        let path = (environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/bin:/usr/local/bin:/usr/sbin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
