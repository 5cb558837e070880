import Foundation
import Hookbay
import HookbayTestSupport
import Testing

/// The one table of settings: precedence, checks, defaults from ``GatewayConfiguration``, and the documentation.
@Suite struct GatewaySettingsTests {
    @Test func flagsWinOverTheEnvironmentWhichWinsOverTheDefault() throws {
        let settings = [GatewaySettings.port, GatewaySettings.host, GatewaySettings.workers]
        let configuration = try GatewaySettings.configuration(
            settings, flags: ["port": "9001"], environment: ["HOOKBAY_PORT": "9002", "HOOKBAY_HOST": "127.0.0.1"]
        )
        #expect(configuration.port == 9001)
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.workers == GatewayConfiguration().workers)
    }

    @Test func settingsACommandDoesNotOfferIgnoreTheEnvironment() throws {
        let configuration = try GatewaySettings.configuration([GatewaySettings.workers], flags: [:], environment: ["HOOKBAY_PORT": "abc"])
        #expect(configuration.port == GatewayConfiguration().port)
    }

    @Test(arguments: [
        (GatewaySettings.port, "abc", "--port (HOOKBAY_PORT) must be a whole number from 0 to 65535, not 'abc'"),
        (GatewaySettings.port, "65536", "--port (HOOKBAY_PORT) must be a whole number from 0 to 65535, not '65536'"),
        (GatewaySettings.port, "99999999999999999999", "--port (HOOKBAY_PORT) must be a whole number from 0 to 65535, not '99999999999999999999'"),
        (GatewaySettings.idleTimeout, "0", "--idle-timeout (HOOKBAY_IDLE_TIMEOUT) must be a whole number of seconds from 1 to 31536000, not '0'"),
        (GatewaySettings.idleTimeout, "1.5", "--idle-timeout (HOOKBAY_IDLE_TIMEOUT) must be a whole number of seconds from 1 to 31536000, not '1.5'"),
        (GatewaySettings.reloadInterval, "-1", "--reload-interval (HOOKBAY_RELOAD_INTERVAL) must be a number of seconds from 0 to 86400, not '-1'"),
        (GatewaySettings.reloadInterval, "nan", "--reload-interval (HOOKBAY_RELOAD_INTERVAL) must be a number of seconds from 0 to 86400, not 'nan'"),
        (
            GatewaySettings.reloadInterval, "1e300",
            "--reload-interval (HOOKBAY_RELOAD_INTERVAL) must be a number of seconds from 0 to 86400, not '1e300'"
        ),
        (GatewaySettings.reloadInterval, "0.001", "--reload-interval (HOOKBAY_RELOAD_INTERVAL) must be 0 (polling off) or at least 0.05 seconds"),
        (GatewaySettings.logLevel, "loud", "--log-level (LOG_LEVEL) must be one of trace, debug, info, notice, warning, error, critical, not 'loud'"),
        (GatewaySettings.host, "", "--host (HOOKBAY_HOST) must not be empty"),
    ])
    func badValuesAreRefusedNamingTheSetting(setting: GatewaySetting, value: String, message: String) {
        #expect(throws: SettingError.self) {
            try GatewaySettings.configuration([setting], flags: [:], environment: [setting.environmentVariable!: value])
        }
        do {
            _ = try GatewaySettings.configuration([setting], flags: [setting.flag!: value], environment: [:])
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func valuesAreApplied() throws {
        let configuration = try GatewaySettings.configuration(
            GatewaySettings.all,
            flags: [
                "reload-interval": "0.25", "claim-idle": "5", "log-level": "DEBUG", "log-format": "json", "redis-url": "",
                "max-body-bytes": "10", "max-buffered-bytes": "10",
            ], environment: ["HOOKBAY_ADMIN_TOKEN": "t0ken", "REDIS_URL": "redis://127.0.0.1:1"])
        #expect(configuration.reloadInterval == .milliseconds(250))
        #expect(configuration.claimIdle == .seconds(5))
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .json)
        #expect(configuration.redisURL == nil, "an empty flag leaves the queue embedded, whatever the environment")
        #expect(configuration.adminToken == "t0ken")
    }

    @Test func noWorkersOverridesWorkersWhateverTheOrder() throws {
        let configuration = try GatewaySettings.configuration(
            [GatewaySettings.noWorkers, GatewaySettings.workers], flags: ["no-workers": "true", "workers": "8"], environment: [:]
        )
        #expect(configuration.workers == 0)
    }

    @Test func bufferedBytesMustHoldOneBody() {
        #expect(
            throws: SettingError(setting: "--max-buffered-bytes (HOOKBAY_MAX_BUFFERED_BYTES)", problem: "must be at least --max-body-bytes (2048)")
        ) {
            try GatewaySettings.configuration(GatewaySettings.all, flags: ["max-body-bytes": "2048", "max-buffered-bytes": "1024"], environment: [:])
        }
    }

    @Test func defaultsComeFromTheConfiguration() {
        let defaults = GatewayConfiguration()
        #expect(GatewaySettings.port.defaultText == String(defaults.port))
        #expect(GatewaySettings.idleTimeout.defaultText == "30")
        #expect(GatewaySettings.reloadInterval.defaultText == "1")
        #expect(GatewaySettings.maxBufferedBytes.defaultText == String(defaults.maxBufferedBytes))
        #expect(GatewaySettings.redisURL.defaultText == "none")
        #expect(GatewaySettings.port.help == "Port to listen on; 0 picks a free port. (env HOOKBAY_PORT; default 8080)")
    }

    @Test func everySettingHasOneFlagAndOneVariable() {
        let flags = GatewaySettings.all.compactMap(\.flag)
        let variables = GatewaySettings.all.compactMap(\.environmentVariable)
        #expect(Set(flags).count == flags.count)
        #expect(Set(variables).count == variables.count)
    }

    /// docs/configuration.md's options table lists every setting with the table's flag, variable and default.
    @Test func theDocumentedTableMatches() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("|") }.map { line in
            line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "") }
        }
        for setting in GatewaySettings.all {
            let flag = setting.flag.map { "--\($0)" } ?? "—"
            let variable = setting.environmentVariable ?? "—"
            let row = rows.first { $0.count >= 4 && $0[0] == flag && $0[1] == variable }
            #expect(row != nil, "docs/configuration.md has no row | \(flag) | \(variable) | ...")
            if let row { #expect(row[2] == setting.defaultText, "\(flag): the docs say the default is \(row[2])") }
        }
    }
}
