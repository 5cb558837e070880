import ArgumentParser
import Foundation
import Hookbay

/// A group of command-line options, each one a ``GatewaySetting``: an option is named after its property (ArgumentParser
/// turns `maxBodyBytes` into `--max-body-bytes`), which must be its setting's flag, and takes its help from the table
/// (`@Option(help: .setting(...))`). What a group offers and what was given are read from its options, so a group is
/// its declarations only.
protocol SettingOptions: ParsableArguments {}

extension SettingOptions {
    /// The group's settings, each with the text given on the command line (`nil` when absent).
    var settings: [(setting: GatewaySetting, given: String?)] {
        Mirror(reflecting: self).children.compactMap { child in
            guard let label = child.label, label.hasPrefix("_") else { return nil }
            let given: String?
            if let option = child.value as? Option<String?> {
                given = option.wrappedValue
            } else if let option = child.value as? Option<[String]> {
                // A repeatable option: its values joined, as the setting's environment variable lists them.
                given = option.wrappedValue.isEmpty ? nil : option.wrappedValue.joined(separator: ",")
            } else if let flag = child.value as? Flag<Bool> {
                given = flag.wrappedValue ? "true" : nil
            } else {
                return nil
            }
            let name = label.dropFirst().lowercased()
            guard let setting = GatewaySettings.all.first(where: { $0.flag?.replacingOccurrences(of: "-", with: "") == name }) else {
                preconditionFailure("the option \(label.dropFirst()) is not a setting of GatewaySettings")
            }
            return (setting, given)
        }
    }
}

/// The configuration of a command offering `groups` (and `environmentOnly` settings, which have no flag): flags, then
/// the environment, then the defaults.
func resolveConfiguration(
    _ groups: [any SettingOptions], environmentOnly: [GatewaySetting] = [],
    environment: [String: String] = ProcessInfo.processInfo.environment
) throws -> GatewayConfiguration {
    let offered = groups.flatMap(\.settings)
    var flags: [String: String] = [:]
    for (setting, given) in offered {
        if let flag = setting.flag, let given { flags[flag] = given }
    }
    do {
        return try GatewaySettings.configuration(offered.map(\.setting) + environmentOnly, flags: flags, environment: environment)
    } catch {
        throw ValidationError(error.description)
    }
}

extension ArgumentHelp {
    /// The setting's summary, environment variable and default.
    static func setting(_ setting: GatewaySetting) -> ArgumentHelp { ArgumentHelp(setting.help) }
}
