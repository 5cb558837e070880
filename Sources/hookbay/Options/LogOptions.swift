import ArgumentParser
import Hookbay
import Logging

/// Log level and format: every long-running command.
struct LogOptions: SettingOptions {
    @Option(help: .setting(GatewaySettings.logLevel)) var logLevel: String?
    @Option(help: .setting(GatewaySettings.logFormat)) var logFormat: String?
}

/// Bootstraps swift-log once, as the configuration says, and returns the process's logger.
func bootstrapLogging(_ configuration: GatewayConfiguration) -> Logger {
    switch configuration.logFormat {
    case .text: LoggingSystem.bootstrap(StreamLogHandler.standardError)
    case .json: LoggingSystem.bootstrap(JSONLogHandler.init)
    }
    var logger = Logger(label: "hookbay")
    logger.logLevel = configuration.logLevel
    return logger
}
