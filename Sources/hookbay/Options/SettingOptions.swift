import ArgumentParser
import Foundation
import Hookbay

/// A group of command-line options, each one a ``GatewaySetting``: its flag, help and default come from the table.
protocol SettingOptions: ParsableArguments {
    /// The settings the group offers (those without a flag are read from the environment only).
    static var settings: [GatewaySetting] { get }
    /// The text given on the command line, by flag name.
    var given: [String: String] { get }
}

extension SettingOptions {
    /// The values given of `pairs`, by flag name.
    static func given(_ pairs: [(GatewaySetting, String?)]) -> [String: String] {
        var given: [String: String] = [:]
        for (setting, value) in pairs {
            if let flag = setting.flag, let value { given[flag] = value }
        }
        return given
    }
}

/// The configuration of a command offering `groups`: flags, then the environment, then the defaults.
func resolveConfiguration(_ groups: [any SettingOptions], environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GatewayConfiguration {
    let settings = groups.flatMap { type(of: $0).settings }
    let flags = groups.reduce(into: [String: String]()) { $0.merge($1.given) { first, _ in first } }
    do {
        return try GatewaySettings.configuration(settings, flags: flags, environment: environment)
    } catch {
        throw ValidationError(error.description)
    }
}

extension NameSpecification {
    /// The setting's long flag.
    static func setting(_ setting: GatewaySetting) -> NameSpecification { .customLong(setting.flag ?? "") }
}

extension ArgumentHelp {
    /// The setting's summary, environment variable and default.
    static func setting(_ setting: GatewaySetting) -> ArgumentHelp { ArgumentHelp(setting.help) }
}
