import Foundation
import HookbayJSON
import HookbayPluginABI
import HookbayPluginKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Loads adapter plugins with `dlopen` and checks their descriptors before anything is called.
///
/// Libraries are opened with `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` and never closed: unloading a Swift library
/// unmaps code and metadata the runtime still refers to.
public enum PluginLoader {
    /// Loads one plugin file.
    public static func load(path: String) throws(PluginLoadError) -> AdapterPlugin {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw PluginLoadError(path: path, reason: .missingFile)
        }
        let magic = (try? handle.read(upToCount: 4)) ?? nil
        try? handle.close()
        guard let magic, Array(magic) == [0x7F, 0x45, 0x4C, 0x46] else {
            throw PluginLoadError(path: path, reason: .notELF)
        }
        guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw PluginLoadError(path: path, reason: .dlopenFailed(dlerror().map { String(cString: $0) } ?? "unknown error"))
        }
        guard let symbol = dlsym(library, HOOKBAY_ADAPTER_ENTRY_SYMBOL) else {
            throw PluginLoadError(path: path, reason: .missingEntrySymbol)
        }
        let entry = unsafeBitCast(symbol, to: hookbay_adapter_entry_fn.self)
        guard let raw = entry() else {
            throw PluginLoadError(path: path, reason: .nullFunction("hookbay_adapter_entry() result"))
        }
        // Read the version before anything else: it is the only field every ABI version shares.
        let abiVersion = UnsafeRawPointer(raw).load(as: UInt32.self)
        guard abiVersion == HOOKBAY_ABI_VERSION else {
            throw PluginLoadError(path: path, reason: .abiVersionMismatch(found: abiVersion, expected: HOOKBAY_ABI_VERSION))
        }
        // Version 1's descriptor ends at `free_buf`; fields appended since are read only if `struct_size` covers them.
        let structSize = UnsafeRawPointer(raw).load(fromByteOffset: 4, as: UInt32.self)
        let required = UInt32(MemoryLayout<hookbay_adapter>.offset(of: \hookbay_adapter.receive_schema)!)
        guard structSize >= required else {
            throw PluginLoadError(path: path, reason: .structTooSmall(found: structSize, expected: required))
        }
        var descriptor = hookbay_adapter()
        withUnsafeMutableBytes(of: &descriptor) { copy in
            copy.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: min(Int(structSize), copy.count)))
        }
        // An appended field counts only when `struct_size` covers all of it: a size ending inside a pointer would
        // leave half of one.
        func covers<T>(_ field: KeyPath<hookbay_adapter, T>) -> Bool {
            Int(structSize) >= MemoryLayout<hookbay_adapter>.offset(of: field)! + MemoryLayout<T>.size
        }
        if !covers(\.receive_schema) { descriptor.receive_schema = nil }
        if !covers(\.context_receive_schema) { descriptor.context_receive_schema = nil }
        let functions: [(String, Bool)] = [
            ("name", descriptor.name != nil), ("version", descriptor.version != nil),
            ("create", descriptor.create != nil), ("destroy", descriptor.destroy != nil),
            ("validate", descriptor.validate != nil), ("process", descriptor.process != nil),
            ("free_buf", descriptor.free_buf != nil),
        ]
        if let missing = functions.first(where: { !$0.1 }) {
            throw PluginLoadError(path: path, reason: .nullFunction(missing.0))
        }
        let name = String(cString: descriptor.name)
        guard PlatformFileParser.isValidID(name) else {
            throw PluginLoadError(path: path, reason: .invalidName(name))
        }
        var receiveSchema: PayloadSchema?
        if let text = descriptor.receive_schema {
            do {
                receiveSchema = try PayloadSchema(json: try JSONParser.parse(Array(String(cString: text).utf8)))
            } catch let error as AdapterError {
                throw PluginLoadError(path: path, reason: .invalidReceiveSchema(error.message))
            } catch {
                throw PluginLoadError(path: path, reason: .invalidReceiveSchema("\(error)"))
            }
        }
        return AdapterPlugin(
            descriptor: descriptor, address: UnsafeRawPointer(raw), receiveSchema: receiveSchema, name: name,
            version: String(cString: descriptor.version), abiVersion: abiVersion, path: path
        )
    }

    /// The directory of the running executable, where `swift build` puts the plugin products.
    public static var executableDirectory: String? {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.path == "/proc/self/exe" ? nil : exe.deletingLastPathComponent().path
    }

    /// Loads every plugin in `directories`, in order; the first plugin of a name wins.
    ///
    /// A `.so` without the entry symbol is not a Hookbay plugin and is passed over silently; every other refusal is
    /// reported.
    public static func discover(directories: [String]) -> PluginCatalog {
        var catalog = PluginCatalog(directories: directories)
        for directory in directories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for name in names.sorted() where name.hasSuffix(".so") {
                let path = (directory as NSString).appendingPathComponent(name)
                do {
                    catalog.add(try load(path: path))
                } catch  where error.reason == .missingEntrySymbol {
                    continue
                } catch {
                    catalog.problems.append(error)
                }
            }
        }
        return catalog
    }
}
