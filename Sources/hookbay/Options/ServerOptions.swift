import ArgumentParser
import Hookbay

/// The HTTP server's address, limits and timeouts, and config reloading: `serve` only.
struct ServerOptions: SettingOptions {
    static let settings = [
        GatewaySettings.host, GatewaySettings.port, GatewaySettings.maxBodyBytes, GatewaySettings.idleTimeout,
        GatewaySettings.requestTimeout, GatewaySettings.maxConnections, GatewaySettings.maxBufferedBytes,
        GatewaySettings.reloadInterval, GatewaySettings.adminToken, GatewaySettings.noWorkers,
    ]

    @Option(name: .setting(GatewaySettings.host), help: .setting(GatewaySettings.host))
    var host: String?

    @Option(name: .setting(GatewaySettings.port), help: .setting(GatewaySettings.port))
    var port: String?

    @Option(name: .setting(GatewaySettings.maxBodyBytes), help: .setting(GatewaySettings.maxBodyBytes))
    var maxBodyBytes: String?

    @Option(name: .setting(GatewaySettings.idleTimeout), help: .setting(GatewaySettings.idleTimeout))
    var idleTimeout: String?

    @Option(name: .setting(GatewaySettings.requestTimeout), help: .setting(GatewaySettings.requestTimeout))
    var requestTimeout: String?

    @Option(name: .setting(GatewaySettings.maxConnections), help: .setting(GatewaySettings.maxConnections))
    var maxConnections: String?

    @Option(name: .setting(GatewaySettings.maxBufferedBytes), help: .setting(GatewaySettings.maxBufferedBytes))
    var maxBufferedBytes: String?

    @Option(name: .setting(GatewaySettings.reloadInterval), help: .setting(GatewaySettings.reloadInterval))
    var reloadInterval: String?

    @Flag(name: .setting(GatewaySettings.noWorkers), help: .setting(GatewaySettings.noWorkers))
    var noWorkers = false

    var given: [String: String] {
        Self.given([
            (GatewaySettings.host, host), (GatewaySettings.port, port), (GatewaySettings.maxBodyBytes, maxBodyBytes),
            (GatewaySettings.idleTimeout, idleTimeout), (GatewaySettings.requestTimeout, requestTimeout),
            (GatewaySettings.maxConnections, maxConnections), (GatewaySettings.maxBufferedBytes, maxBufferedBytes),
            (GatewaySettings.reloadInterval, reloadInterval), (GatewaySettings.noWorkers, noWorkers ? "true" : nil),
        ])
    }
}
