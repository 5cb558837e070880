import HookbayRedis
import HookbayTestSupport
import Testing

@testable import Hookbay

/// The enqueue script needs Redis 7 (`SET NX GET`): an older server is refused at start with a clear message.
@Suite struct RedisVersionTests {
    @Test func olderThanSevenIsAStartUpProblem() {
        #expect(RedisWebhookQueue.versionProblem(.tooOld("6.2.14"))?.contains("Redis 6.2.14 is too old: Hookbay needs Redis >= 7.0") == true)
        #expect(RedisWebhookQueue.versionProblem(.supported("7.0.15")) == nil)
        #expect(RedisWebhookQueue.versionProblem(.unreachable("connection refused")) == nil)
    }

    @Test(.enabled(if: TestRedis.enabled, "set REDIS_URL (bash scripts/test does) to run the Redis tests"))
    func theTestRedisIsSupported() async throws {
        let client = RedisClient(configuration: try RedisConfiguration(url: try TestRedis.url()), logger: Fixtures.logger)
        defer { client.shutdown() }
        let check = await RedisWebhookQueue(client: client).checkVersion()
        guard case .supported(let version) = check else {
            Issue.record("unexpected \(check)")
            return
        }
        #expect(version.hasPrefix("7") || version.hasPrefix("8"))
    }
}
