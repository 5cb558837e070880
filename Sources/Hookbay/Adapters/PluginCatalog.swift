/// The adapter plugins found in the plugin directories, by name.
public struct PluginCatalog: Sendable {
    /// Where plugins were looked for, in search order.
    public let directories: [String]
    /// Plugins by adapter name.
    public private(set) var plugins: [String: AdapterPlugin] = [:]
    /// Plugin files that were refused.
    public var problems: [PluginLoadError] = []

    public init(directories: [String]) {
        self.directories = directories
    }

    /// Adds a plugin unless its name is taken (then records the clash).
    mutating func add(_ plugin: AdapterPlugin) {
        if let existing = plugins[plugin.name] {
            if existing.path != plugin.path {
                problems.append(PluginLoadError(path: plugin.path, reason: .nameClash(name: plugin.name, otherPath: existing.path)))
            }
            return
        }
        plugins[plugin.name] = plugin
    }

    /// The plugin providing adapter `name`.
    public func plugin(named name: String) throws(PluginLoadError) -> AdapterPlugin {
        guard let plugin = plugins[name] else {
            throw PluginLoadError(path: name, reason: .notFound(name: name, searched: directories))
        }
        return plugin
    }

    /// Every plugin, sorted by name.
    public var all: [AdapterPlugin] { plugins.values.sorted { $0.name < $1.name } }
}
