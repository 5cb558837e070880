import Foundation
import Logging

/// One setting of a `hookbay` process: its flag, its environment variable, its one-line meaning, where its default
/// comes from (``GatewayConfiguration``'s initial values) and how a given value is checked and applied.
///
/// The help text of every command and the options table of `docs/configuration.md` come from (or are checked
/// against) these values, so a setting is named, defaulted and documented in one place: ``GatewaySettings``.
public struct GatewaySetting: Sendable {
    /// The long flag without its dashes (`max-body-bytes`); `nil` for a setting read from the environment only.
    public let flag: String?
    /// The environment variable read when the flag is absent; `nil` for a flag-only setting.
    public let environmentVariable: String?
    /// What the setting does, as one sentence.
    public let summary: String
    /// The default, as the documentation shows it (`8080`, `none`).
    public var defaultText: String { self.renderDefault(GatewayConfiguration()) }

    let renderDefault: @Sendable (GatewayConfiguration) -> String
    /// Checks `text` and writes it into the configuration, or says what a valid value looks like.
    let apply: @Sendable (String, inout GatewayConfiguration) -> String?

    /// How the setting is named in a message: `--port (HOOKBAY_PORT)`.
    public var displayName: String {
        switch (self.flag, self.environmentVariable) {
        case (let flag?, let env?): return "--\(flag) (\(env))"
        case (let flag?, nil): return "--\(flag)"
        case (nil, let env?): return env
        case (nil, nil): return "setting"
        }
    }

    /// The flag's help line: the summary, the environment variable and the default.
    public var help: String {
        var parts: [String] = []
        if let env = self.environmentVariable { parts.append("env \(env)") }
        let shown = self.defaultText
        if shown != "none" { parts.append("default \(shown)") }
        return parts.isEmpty ? self.summary : "\(self.summary) (\(parts.joined(separator: "; ")))"
    }
}

extension GatewaySetting {
    /// A text setting.
    static func text(
        _ flag: String?, _ env: String?, _ summary: String,
        _ keyPath: WritableKeyPath<GatewayConfiguration, String> & Sendable,
        defaultText: String? = nil
    ) -> GatewaySetting {
        GatewaySetting(
            flag: flag, environmentVariable: env, summary: summary,
            renderDefault: { defaultText ?? $0[keyPath: keyPath] },
            apply: { text, configuration in
                guard !text.isEmpty else { return "must not be empty" }
                configuration[keyPath: keyPath] = text
                return nil
            })
    }

    /// A text setting that is absent by default (an empty value leaves it absent).
    static func optionalText(
        _ flag: String?, _ env: String?, _ summary: String,
        _ keyPath: WritableKeyPath<GatewayConfiguration, String?> & Sendable
    ) -> GatewaySetting {
        GatewaySetting(
            flag: flag, environmentVariable: env, summary: summary,
            renderDefault: { $0[keyPath: keyPath] ?? "none" },
            apply: { text, configuration in
                configuration[keyPath: keyPath] = text.isEmpty ? nil : text
                return nil
            })
    }

    /// A whole number within `range`.
    static func integer(
        _ flag: String, _ env: String, _ summary: String,
        _ keyPath: WritableKeyPath<GatewayConfiguration, Int> & Sendable,
        in range: ClosedRange<Int>
    ) -> GatewaySetting {
        GatewaySetting(
            flag: flag, environmentVariable: env, summary: summary,
            renderDefault: { String($0[keyPath: keyPath]) },
            apply: { text, configuration in
                guard let value = Int(text), range.contains(value) else {
                    return "must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'"
                }
                configuration[keyPath: keyPath] = value
                return nil
            })
    }

    /// A duration in seconds within `range`; fractions are allowed when `fractional`.
    static func seconds(
        _ flag: String, _ env: String, _ summary: String,
        _ keyPath: WritableKeyPath<GatewayConfiguration, Duration> & Sendable,
        in range: ClosedRange<Double>, fractional: Bool = false
    ) -> GatewaySetting {
        GatewaySetting(
            flag: flag, environmentVariable: env, summary: summary,
            renderDefault: { Self.secondsText($0[keyPath: keyPath]) },
            apply: { text, configuration in
                let value = fractional ? Double(text) : Int(text).map(Double.init)
                guard let value, value.isFinite, range.contains(value) else {
                    let kind = fractional ? "a number of seconds" : "a whole number of seconds"
                    return "must be \(kind) from \(Self.numberText(range.lowerBound)) to \(Self.numberText(range.upperBound)), not '\(text)'"
                }
                configuration[keyPath: keyPath] = .milliseconds(Int64((value * 1000).rounded()))
                return nil
            })
    }

    /// One of a fixed set of words.
    static func choice<Value: Sendable>(
        _ flag: String, _ env: String, _ summary: String,
        _ keyPath: WritableKeyPath<GatewayConfiguration, Value> & Sendable,
        _ choices: [(String, Value)], render: @escaping @Sendable (Value) -> String
    ) -> GatewaySetting {
        let names = choices.map(\.0)
        let table = choices
        return GatewaySetting(
            flag: flag, environmentVariable: env, summary: summary,
            renderDefault: { render($0[keyPath: keyPath]) },
            apply: { text, configuration in
                guard let value = table.first(where: { $0.0 == text.lowercased() })?.1 else {
                    return "must be one of \(names.joined(separator: ", ")), not '\(text)'"
                }
                configuration[keyPath: keyPath] = value
                return nil
            })
    }

    /// A comma-separated list of CIDR ranges (a repeated flag is joined with commas); an empty value is an empty list.
    /// - Parameter clients: ranges clients are matched against (``IPNetwork/asClientRange``: an IPv4-mapped range is
    ///   the IPv4 one), where one of every address (`/0`) is refused.
    static func networks(
        _ flag: String, _ env: String, _ summary: String,
        _ keyPath: WritableKeyPath<GatewayConfiguration, [IPNetwork]> & Sendable, clients: Bool = false
    ) -> GatewaySetting {
        GatewaySetting(
            flag: flag, environmentVariable: env, summary: summary,
            renderDefault: { $0[keyPath: keyPath].isEmpty ? "none" : $0[keyPath: keyPath].map(\.description).joined(separator: ",") },
            apply: { text, configuration in
                var networks: [IPNetwork] = []
                for part in text.split(separator: ",") {
                    let item = part.trimmingCharacters(in: .whitespaces)
                    guard !item.isEmpty else { continue }
                    guard networks.count < 256 else { return "lists more than 256 ranges" }
                    guard let parsed = IPNetwork(item) else {
                        return "must be CIDR ranges such as 10.0.0.0/8 or fd00::/8, separated by commas; '\(item.prefix(64))' is not one"
                    }
                    let network = clients ? parsed.asClientRange : parsed
                    if clients, network.prefixLength == 0 {
                        return
                            "may not be \(item) (every \(network.address.count == 4 ? "IPv4 " : "")address): trusting every address believes what any client writes"
                    }
                    networks.append(network)
                }
                configuration[keyPath: keyPath] = networks
                return nil
            })
    }

    static func secondsText(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return attoseconds == 0 ? String(seconds) : numberText(Double(seconds) + Double(attoseconds) / 1e18)
    }

    static func numberText(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
