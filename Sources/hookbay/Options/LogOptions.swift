import ArgumentParser
import Hookbay
import Logging

/// Log level and format: every long-running command.
struct LogOptions: SettingOptions {
    static let settings = [GatewaySettings.logLevel, GatewaySettings.logFormat]

    @Option(name: .setting(GatewaySettings.logLevel), help: .setting(GatewaySettings.logLevel))
    var logLevel: String?

    @Option(name: .setting(GatewaySettings.logFormat), help: .setting(GatewaySettings.logFormat))
    var logFormat: String?

    var given: [String: String] {
        Self.given([(GatewaySettings.logLevel, logLevel), (GatewaySettings.logFormat, logFormat)])
    }
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
