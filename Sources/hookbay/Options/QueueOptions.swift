import ArgumentParser
import Hookbay

/// The queue and the content database: every command that talks to them.
struct QueueOptions: SettingOptions {
    static let settings = [GatewaySettings.redisURL, GatewaySettings.database, GatewaySettings.consumerName, GatewaySettings.claimIdle]

    @Option(name: .setting(GatewaySettings.redisURL), help: .setting(GatewaySettings.redisURL))
    var redisURL: String?

    @Option(name: .setting(GatewaySettings.database), help: .setting(GatewaySettings.database))
    var database: String?

    @Option(name: .setting(GatewaySettings.consumerName), help: .setting(GatewaySettings.consumerName))
    var consumerName: String?

    @Option(name: .setting(GatewaySettings.claimIdle), help: .setting(GatewaySettings.claimIdle))
    var claimIdle: String?

    var given: [String: String] {
        Self.given([
            (GatewaySettings.redisURL, redisURL), (GatewaySettings.database, database),
            (GatewaySettings.consumerName, consumerName), (GatewaySettings.claimIdle, claimIdle),
        ])
    }
}
