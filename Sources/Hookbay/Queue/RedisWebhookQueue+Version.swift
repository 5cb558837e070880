import Foundation
import HookbayRedis

extension RedisWebhookQueue {
    /// The oldest Redis the queue works with: the enqueue script uses `SET ... NX GET` (Redis 7.0).
    public static let minimumRedisMajorVersion = 7

    /// What Redis answered about its version.
    public enum VersionCheck: Sendable, Equatable {
        case supported(String)
        /// Reachable, and too old: every delivery would be stored and answered 503.
        case tooOld(String)
        /// Not reachable now (checked again when it is: a Redis that is down only makes requests answer 503).
        case unreachable(String)
    }

    /// Asks Redis for its version (`INFO server`); on a cluster, every primary, and answers the oldest.
    public func checkVersion() async -> VersionCheck {
        let replies: [RESPValue]
        do {
            replies = try await self.client.sendToEveryPrimary(["INFO", "server"])
        } catch {
            return .unreachable("\(error)")
        }
        var oldest: (major: Int, version: String)?
        for reply in replies {
            let text = reply.string ?? ""
            guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("redis_version:") }) else {
                return .unreachable("INFO server has no redis_version")
            }
            let version = String(line.dropFirst("redis_version:".count))
            let major = version.split(separator: ".").first.flatMap { Int($0) } ?? 0
            if oldest.map({ major < $0.major }) ?? true { oldest = (major, version) }
        }
        guard let oldest else { return .unreachable("no Redis server answered INFO") }
        return oldest.major >= Self.minimumRedisMajorVersion ? .supported(oldest.version) : .tooOld(oldest.version)
    }

    /// The start-up message for a Redis that is too old, or `nil`.
    public static func versionProblem(_ check: VersionCheck) -> String? {
        guard case .tooOld(let version) = check else { return nil }
        return
            "Redis \(version) is too old: Hookbay needs Redis >= \(Self.minimumRedisMajorVersion).0 (its enqueue script uses SET NX GET); upgrade Redis"
    }
}

extension RedisWebhookQueue {
    /// How many replicas are connected to the primary (`INFO replication`); on a cluster, the fewest any primary has.
    public func connectedReplicas() async throws(QueueError) -> Int {
        let replies = try await Self.mapping { () async throws in try await self.client.sendToEveryPrimary(["INFO", "replication"]) }
        var fewest = Int.max
        for reply in replies {
            let text = reply.string ?? ""
            guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("connected_slaves:") }),
                let count = Int(line.dropFirst("connected_slaves:".count).trimmingCharacters(in: .whitespaces))
            else { throw QueueError("INFO replication has no connected_slaves") }
            fewest = min(fewest, count)
        }
        return fewest == .max ? 0 : fewest
    }
}
