import ArgumentParser
import Hookbay

/// `hookbay worker`: the queue's workers without an HTTP server, built as `serve` builds them.
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Run workers only: process the queue of every loaded platform into the database (scale out across processes and machines sharing one Redis)."
    )

    @OptionGroup var config: ConfigOptions
    @OptionGroup var queue: QueueOptions
    @OptionGroup var workers: WorkerOptions
    @OptionGroup var log: LogOptions

    func run() async throws {
        let configuration = try resolveConfiguration([config, queue, workers, log])
        guard configuration.workers > 0 else { throw ValidationError("\(GatewaySettings.workers.displayName) must be at least 1 for hookbay worker") }
        let logger = bootstrapLogging(configuration)
        let (group, _) = try await buildWorkerGroup(configuration: configuration, logger: logger)
        try await group.run()
    }
}
