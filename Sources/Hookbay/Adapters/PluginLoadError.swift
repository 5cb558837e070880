/// Why a plugin file was refused. Every case names the file and says what to do.
public struct PluginLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case missingFile
        case notELF
        case dlopenFailed(String)
        case missingEntrySymbol
        case abiVersionMismatch(found: UInt32, expected: UInt32)
        case structTooSmall(found: UInt32, expected: UInt32)
        case nullFunction(String)
        case invalidName(String)
        case invalidReceiveSchema(String)
        case nameClash(name: String, otherPath: String)
        case nameMismatch(expected: String, found: String)
        case notFound(name: String, searched: [String])
    }

    /// The plugin file (or the adapter name, for ``Reason/notFound(name:searched:)``).
    public var path: String
    public var reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .missingFile: return "\(path): no such plugin file"
        case .notELF: return "\(path): not a shared library (no ELF header)"
        case .dlopenFailed(let message): return "\(path): cannot load: \(message)"
        case .missingEntrySymbol: return "\(path): does not export hookbay_adapter_entry; is it a Hookbay adapter plugin?"
        case .abiVersionMismatch(let found, let expected):
            return
                "\(path): plugin ABI version \(found), this Hookbay speaks version \(expected); rebuild the plugin against this Hookbay's hookbay_plugin.h"
        case .structTooSmall(let found, let expected):
            return "\(path): descriptor struct_size \(found) is smaller than the \(expected) bytes ABI version 1 requires"
        case .nullFunction(let name): return "\(path): descriptor function '\(name)' is NULL"
        case .invalidReceiveSchema(let problem): return "\(path): its receive_schema is not valid: \(problem)"
        case .invalidName(let name): return "\(path): adapter name '\(name)' is not valid (use 1 to 64 of a-z, 0-9, '_' and '-')"
        case .nameClash(let name, let other): return "\(path): adapter name '\(name)' is already provided by \(other); ignored"
        case .nameMismatch(let expected, let found):
            return "\(path): provides adapter '\(found)', but the platform asks for '\(expected)'"
        case .notFound(let name, let searched):
            return "no adapter plugin named '\(name)' in \(searched.isEmpty ? "any plugin directory" : searched.joined(separator: ", "))"
        }
    }
}
