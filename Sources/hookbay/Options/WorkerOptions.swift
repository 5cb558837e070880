import ArgumentParser
import Hookbay

/// How many workers this process runs.
struct WorkerOptions: SettingOptions {
    @Option(help: .setting(GatewaySettings.workers)) var workers: String?
    @Option(help: .setting(GatewaySettings.forwardAllowNetwork)) var forwardAllowNetwork: [String] = []
}
