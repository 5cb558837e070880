import ArgumentParser
import Hookbay

/// Where platform files and adapter plugins are found: every command that loads platforms.
struct ConfigOptions: SettingOptions {
    static let settings = [GatewaySettings.configDirectory, GatewaySettings.pluginDirectory]

    @Option(name: .setting(GatewaySettings.configDirectory), help: .setting(GatewaySettings.configDirectory))
    var configDir: String?

    @Option(name: .setting(GatewaySettings.pluginDirectory), help: .setting(GatewaySettings.pluginDirectory))
    var pluginDir: String?

    var given: [String: String] {
        Self.given([(GatewaySettings.configDirectory, configDir), (GatewaySettings.pluginDirectory, pluginDir)])
    }
}
