import HookbayPluginABI

/// A loaded adapter plugin: its descriptor and where it came from.
public struct AdapterPlugin: @unchecked Sendable, Equatable {
    // @unchecked: the descriptor is immutable and lives as long as the process (plugins are never unloaded).
    let descriptor: UnsafePointer<hookbay_adapter>
    /// The adapter name platforms select it by.
    public let name: String
    /// The adapter's own version.
    public let version: String
    /// The ABI version it was built against.
    public let abiVersion: UInt32
    /// The shared library's path.
    public let path: String

    public static func == (a: AdapterPlugin, b: AdapterPlugin) -> Bool { a.descriptor == b.descriptor && a.path == b.path }
}
