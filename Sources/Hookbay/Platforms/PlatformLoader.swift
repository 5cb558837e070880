import Foundation
import HookbayJSON

/// Loads a config directory and binds each platform to its adapter plugin: what `serve` runs and `check` checks.
public struct PlatformLoader: Sendable {
    /// What loading found.
    public struct Result: Sendable {
        public var platforms: [String: ServedPlatform]
        /// Refused platform files and plugins, each naming its file.
        public var problems: [ConfigProblem]
        public var catalog: PluginCatalog

        /// One line per loaded platform that is disabled with its `secret_env` unset: worth a notice, not an error.
        public var notices: [String] {
            self.platforms.values.map(\.config).filter { !$0.unsetSecretVariables.isEmpty }.sorted { $0.id < $1.id }.map { config in
                "\(config.sourceFile): platform \(config.id) is disabled and \(config.unsetSecretVariables.joined(separator: ", ")) is not set; set it before enabling the platform"
            }
        }
    }

    public var environment: [String: String]
    /// Plugin directories in search order (after each platform's own `plugin_path`).
    public var pluginDirectories: [String]

    public init(environment: [String: String], pluginDirectories: [String]) {
        self.environment = environment
        self.pluginDirectories = pluginDirectories
    }

    /// The loader `serve`, `worker`, `check` and `sign` all use: `--plugin-dir` first, then the executable's directory.
    public init(configuration: GatewayConfiguration, environment: [String: String]) {
        self.init(environment: environment, pluginDirectories: Self.searchDirectories(pluginDirectory: configuration.pluginDirectory))
    }

    /// The plugin directories for `--plugin-dir` (if any) followed by the executable's own directory.
    public static func searchDirectories(pluginDirectory: String?) -> [String] {
        var directories: [String] = []
        if let pluginDirectory, !pluginDirectory.isEmpty { directories.append(pluginDirectory) }
        if let exe = PluginLoader.executableDirectory, !directories.contains(exe) { directories.append(exe) }
        return directories
    }

    /// Loads every platform of `directory`. Throws only when the directory itself cannot be read.
    /// - Parameter reusing: platforms served now; one whose adapter settings did not change keeps its adapter context.
    public func load(directory: String, reusing previous: [String: ServedPlatform] = [:]) throws(ConfigProblem) -> Result {
        let report = try PlatformDirectory.read(directory, parser: PlatformFileParser(environment: environment))
        let catalog = PluginLoader.discover(directories: pluginDirectories)
        var result = Result(platforms: [:], problems: report.problems, catalog: catalog)
        for config in report.platforms.values.sorted(by: { $0.id < $1.id }) {
            if let old = previous[config.id], old.config.adapter == config.adapter, old.config.adapterConfig == config.adapterConfig,
                old.config.pluginPath == config.pluginPath
            {
                result.platforms[config.id] = ServedPlatform(config: config, adapter: old.adapter)
                continue
            }
            do {
                let plugin = try self.plugin(for: config, catalog: catalog)
                let adapter = try AdapterInstance(plugin: plugin, configuration: config.adapterConfig ?? .object([:]))
                result.platforms[config.id] = ServedPlatform(config: config, adapter: adapter)
            } catch let error as PluginLoadError {
                result.problems.append(
                    ConfigProblem(file: config.sourceFile, key: config.pluginPath == nil ? "adapter" : "plugin_path", message: error.description))
            } catch {
                result.problems.append(ConfigProblem(file: config.sourceFile, key: "adapter_config", message: "\(error)"))
            }
        }
        return result
    }

    private func plugin(for config: PlatformConfig, catalog: PluginCatalog) throws(PluginLoadError) -> AdapterPlugin {
        guard let path = config.pluginPath else { return try catalog.plugin(named: config.adapter) }
        let plugin = try PluginLoader.load(path: path)
        guard plugin.name == config.adapter else {
            throw PluginLoadError(path: path, reason: .nameMismatch(expected: config.adapter, found: plugin.name))
        }
        return plugin
    }
}
