import ArgumentParser
import Hookbay

/// Where platform files and adapter plugins are found: every command that loads platforms.
struct ConfigOptions: SettingOptions {
    @Option(help: .setting(GatewaySettings.configDirectory)) var configDir: String?
    @Option(help: .setting(GatewaySettings.pluginDirectory)) var pluginDir: String?
}
