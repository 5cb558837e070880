import ArgumentParser
import Hookbay

/// How many workers this process runs.
struct WorkerOptions: SettingOptions {
    static let settings = [GatewaySettings.workers]

    @Option(name: .setting(GatewaySettings.workers), help: .setting(GatewaySettings.workers))
    var workers: String?

    var given: [String: String] { Self.given([(GatewaySettings.workers, workers)]) }
}
