import ArgumentParser
import Hookbay
import HookbayJSON
import HookbayRedis
import Logging

/// `hookbay dlq list|replay|purge`: a platform's dead-letter queue in Redis.
struct DLQ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "List, replay or purge a platform's dead-letter queue in Redis.",
        subcommands: [List.self, Replay.self, Purge.self]
    )

    struct Target: ParsableArguments {
        @OptionGroup var queue: QueueOptions
        @OptionGroup var log: LogOptions

        @Option(help: "The platform id.")
        var platform: String

        @Option(help: "A forwarding destination of the platform: its dead letters instead of the platform's.")
        var destination: String?

        /// The queue named: the platform's, or its destination's lane.
        var queueName: String {
            destination.map { QueueKeys.lane(platform: platform, destination: $0) } ?? platform
        }

        func connect() throws -> (RedisWebhookQueue, RedisClient) {
            guard PlatformFileParser.isValidID(platform) else { throw ValidationError("'\(platform)' is not a valid platform id") }
            if let destination, !PlatformFileParser.isValidID(destination) {
                throw ValidationError("'\(destination)' is not a valid destination name ([a-z0-9_-], 1 to 64 characters)")
            }
            let configuration = try resolveConfiguration([queue, log])
            guard let url = configuration.redisURL else {
                throw ValidationError("dlq needs --redis-url or REDIS_URL (the embedded queue lives inside its `hookbay serve`: use its admin API)")
            }
            var logger = Logger(label: "hookbay")
            logger.logLevel = .error
            let client = RedisClient(configuration: try RedisConfiguration(url: url), logger: logger)
            return (RedisWebhookQueue(client: client), client)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print dead-letter entries as JSON lines.")
        @OptionGroup var target: Target
        @Option(help: "Entries to print at most (default 100).") var count: Int = 100
        @Option(help: "Start after this entry id.") var after: String?

        func run() async throws {
            let (queue, client) = try target.connect()
            defer { client.shutdown() }
            for entry in try await queue.deadLetters(platform: target.queueName, after: after, count: count) {
                print(String(decoding: CanonicalJSON.encode(DeadLetterRoutes.json(entry)), as: UTF8.self))
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move entries (all, without --id) back to the platform's stream (or the destination's lane).")
        @OptionGroup var target: Target
        @Option(name: .customLong("id"), help: "A dead-letter entry id; repeat for several.") var ids: [String] = []

        func run() async throws {
            let (queue, client) = try target.connect()
            defer { client.shutdown() }
            let result = try await queue.replayDeadLetters(platform: target.queueName, ids: ids.isEmpty ? nil : ids)
            print("replayed \(result.replayed)")
            for id in result.missing { print("not found: \(id)") }
            if !result.missing.isEmpty { throw ExitCode(1) }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete the given dead-letter entries.")
        @OptionGroup var target: Target
        @Option(name: .customLong("id"), help: "A dead-letter entry id; repeat for several.") var ids: [String]

        func validate() throws {
            if ids.isEmpty { throw ValidationError("name at least one --id to purge") }
        }

        func run() async throws {
            let (queue, client) = try target.connect()
            defer { client.shutdown() }
            print("purged \(try await queue.purgeDeadLetters(platform: target.queueName, ids: ids))")
        }
    }
}
