import HookbayJSON
import HookbayPluginABI
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Exposes a ``HookbayAdapter`` through the C descriptor of `hookbay_plugin.h`.
public enum AdapterExport {
    /// One plugin library exports one adapter; its descriptor and factory live as long as the process.
    private struct Exported {
        var descriptor: UnsafeMutablePointer<hookbay_adapter>
        var make: @Sendable (JSONValue) throws(AdapterError) -> any HookbayAdapter
    }

    private final class Box {
        let adapter: any HookbayAdapter
        /// The instance's ``HookbayAdapter/configuredReceiveSchema`` as the ABI's JSON text, owned until destroyed.
        let schemaText: UnsafeMutablePointer<CChar>?

        init(_ adapter: any HookbayAdapter) {
            self.adapter = adapter
            self.schemaText = adapter.configuredReceiveSchema.map { strdup(String(decoding: CanonicalJSON.encode($0.json), as: UTF8.self)) } ?? nil
        }

        deinit { free(self.schemaText) }
    }

    private static let exported = Mutex<Exported?>(nil)

    /// The descriptor for `Adapter`, built once. Call it from the plugin's `hookbay_adapter_entry`.
    public static func entry<Adapter: HookbayAdapter>(_ type: Adapter.Type) -> UnsafeRawPointer {
        exported.withLock { exported in
            if let existing = exported { return UnsafeRawPointer(existing.descriptor) }
            let descriptor = UnsafeMutablePointer<hookbay_adapter>.allocate(capacity: 1)
            descriptor.initialize(
                to: hookbay_adapter(
                    abi_version: HOOKBAY_ABI_VERSION,
                    struct_size: UInt32(MemoryLayout<hookbay_adapter>.size),
                    name: UnsafePointer(strdup(Adapter.name)),
                    version: UnsafePointer(strdup(Adapter.version)),
                    create: createThunk,
                    destroy: destroyThunk,
                    validate: validateThunk,
                    process: processThunk,
                    free_buf: freeThunk,
                    receive_schema: Adapter.receiveSchema.map { schema in
                        UnsafePointer(strdup(String(decoding: CanonicalJSON.encode(schema.json), as: UTF8.self)))
                    } ?? nil,
                    context_receive_schema: contextSchemaThunk
                ))
            exported = Exported(descriptor: descriptor, make: { config throws(AdapterError) in try Adapter(configuration: config) })
            return UnsafeRawPointer(descriptor)
        }
    }

    private static func status(_ error: AdapterError) -> Int32 {
        switch error {
        case .invalid: return Int32(HOOKBAY_STATUS_INVALID.rawValue)
        case .retryable: return Int32(HOOKBAY_STATUS_RETRY.rawValue)
        }
    }

    private static func setError(_ err: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ message: String) {
        err?.pointee = strdup(message)
    }

    private static func parse(_ bytes: UnsafePointer<CChar>?, _ count: Int) throws(AdapterError) -> JSONValue {
        guard let bytes else { throw .invalid("no JSON given") }
        let buffer = UnsafeRawBufferPointer(start: bytes, count: count)
        do {
            return try JSONParser.parse(buffer)
        } catch {
            throw .invalid("not valid JSON: \(error)")
        }
    }

    private static let createThunk:
        @convention(c) (UnsafePointer<CChar>?, Int, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> UnsafeMutableRawPointer? = {
            json, count, err in
            guard let make = AdapterExport.exported.withLock({ $0?.make }) else {
                AdapterExport.setError(err, "adapter is not exported")
                return nil
            }
            do throws(AdapterError) {
                let adapter = try make(try AdapterExport.parse(json, count))
                return Unmanaged.passRetained(Box(adapter)).toOpaque()
            } catch {
                AdapterExport.setError(err, error.message)
                return nil
            }
        }

    private static let destroyThunk: @convention(c) (UnsafeMutableRawPointer?) -> Void = { ctx in
        guard let ctx else { return }
        Unmanaged<Box>.fromOpaque(ctx).release()
    }

    private static let validateThunk:
        @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 = {
            ctx, json, count, err in
            guard let ctx else {
                AdapterExport.setError(err, "no context")
                return Int32(HOOKBAY_STATUS_INVALID.rawValue)
            }
            let adapter = Unmanaged<Box>.fromOpaque(ctx).takeUnretainedValue().adapter
            do throws(AdapterError) {
                try adapter.validate(try AdapterEvent(json: try AdapterExport.parse(json, count)))
                return Int32(HOOKBAY_STATUS_OK.rawValue)
            } catch {
                AdapterExport.setError(err, error.message)
                return AdapterExport.status(error)
            }
        }

    private static let processThunk:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, UnsafeMutablePointer<Int>?,
            UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        ) -> Int32 = { ctx, json, count, out, outCount, err in
            guard let ctx else {
                AdapterExport.setError(err, "no context")
                return Int32(HOOKBAY_STATUS_INVALID.rawValue)
            }
            let adapter = Unmanaged<Box>.fromOpaque(ctx).takeUnretainedValue().adapter
            do throws(AdapterError) {
                let updates = try adapter.process(try AdapterEvent(json: try AdapterExport.parse(json, count)))
                let bytes = CanonicalJSON.encode(.array(updates.map(\.json)))
                let buffer = malloc(max(bytes.count, 1))!.assumingMemoryBound(to: CChar.self)
                bytes.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { memcpy(buffer, base, bytes.count) }
                }
                out?.pointee = buffer
                outCount?.pointee = bytes.count
                return Int32(HOOKBAY_STATUS_OK.rawValue)
            } catch {
                AdapterExport.setError(err, error.message)
                return AdapterExport.status(error)
            }
        }

    private static let contextSchemaThunk: @convention(c) (UnsafeMutableRawPointer?) -> UnsafePointer<CChar>? = { ctx in
        guard let ctx else { return nil }
        return UnsafePointer(Unmanaged<Box>.fromOpaque(ctx).takeUnretainedValue().schemaText)
    }

    private static let freeThunk: @convention(c) (UnsafeMutablePointer<CChar>?) -> Void = { buffer in
        free(buffer)
    }
}
