import ArgumentParser
import Hookbay
import Hummingbird
import Metrics

/// `hookbay serve`: the HTTP gateway, with workers beside it.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP gateway, with workers beside it.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var config: ConfigOptions
    @OptionGroup var queue: QueueOptions
    @OptionGroup var workers: WorkerOptions
    @OptionGroup var log: LogOptions

    func run() async throws {
        let configuration = try resolveConfiguration([server, config, queue, workers, log], environmentOnly: [GatewaySettings.adminToken])
        let logger = bootstrapLogging(configuration)
        let (application, gateway) = try buildApplication(configuration: configuration, logger: logger)
        // Library metrics (the HTTP server's, for one) land in the same registry /metrics renders.
        MetricsSystem.bootstrap(gateway.metrics.metricsFactory)
        try await application.runService()
    }
}
