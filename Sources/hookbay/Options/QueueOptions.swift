import ArgumentParser
import Hookbay

/// The queue and the content database: every command that talks to them.
struct QueueOptions: SettingOptions {
    @Option(help: .setting(GatewaySettings.redisURL)) var redisURL: String?
    @Option(help: .setting(GatewaySettings.database)) var database: String?
    @Option(help: .setting(GatewaySettings.databasePoolSize)) var databasePoolSize: String?
    @Option(help: .setting(GatewaySettings.consumerName)) var consumerName: String?
    @Option(help: .setting(GatewaySettings.claimIdle)) var claimIdle: String?
}
