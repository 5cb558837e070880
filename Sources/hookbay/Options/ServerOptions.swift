import ArgumentParser
import Hookbay

/// The HTTP server's address, limits and timeouts, and config reloading: `serve` only.
struct ServerOptions: SettingOptions {
    @Option(help: .setting(GatewaySettings.host)) var host: String?
    @Option(help: .setting(GatewaySettings.port)) var port: String?
    @Option(help: .setting(GatewaySettings.maxBodyBytes)) var maxBodyBytes: String?
    @Option(help: .setting(GatewaySettings.idleTimeout)) var idleTimeout: String?
    @Option(help: .setting(GatewaySettings.requestTimeout)) var requestTimeout: String?
    @Option(help: .setting(GatewaySettings.maxConnections)) var maxConnections: String?
    @Option(help: .setting(GatewaySettings.maxBufferedBytes)) var maxBufferedBytes: String?
    @Option(help: .setting(GatewaySettings.trustedProxy)) var trustedProxy: [String] = []
    @Option(help: .setting(GatewaySettings.reloadInterval)) var reloadInterval: String?
    @Option(help: .setting(GatewaySettings.redisWaitReplicas)) var redisWaitReplicas: String?
    @Option(help: .setting(GatewaySettings.redisWaitTimeout)) var redisWaitTimeout: String?
    @Flag(help: .setting(GatewaySettings.noWorkers)) var noWorkers = false
}
