import HookbayPluginABI
import HookbayPluginKit

/// A loaded adapter plugin: its descriptor and where it came from.
public struct AdapterPlugin: @unchecked Sendable, Equatable {
    // @unchecked: the descriptor's pointers are immutable and live as long as the process (plugins are never unloaded).
    /// A copy of the plugin's descriptor, the fields its `struct_size` does not cover zeroed (NULL).
    let descriptor: hookbay_adapter
    /// Where the plugin's descriptor is: the plugin's identity.
    let address: UnsafeRawPointer
    /// The payload rules the plugin declared (`receive_schema`): deliveries are checked against them at receive
    /// instead of calling `validate`.
    public let receiveSchema: PayloadSchema?
    /// The adapter name platforms select it by.
    public let name: String
    /// The adapter's own version.
    public let version: String
    /// The ABI version it was built against.
    public let abiVersion: UInt32
    /// The shared library's path.
    public let path: String

    public static func == (a: AdapterPlugin, b: AdapterPlugin) -> Bool { a.address == b.address && a.path == b.path }
}
