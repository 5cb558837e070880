import HookbayJSON
import HookbayPluginABI
import HookbayPluginKit

/// One platform's adapter: a plugin context created with the platform's `adapter_config`.
///
/// Calls go straight through the C function pointers; the ABI allows concurrent calls on one context.
public final class AdapterInstance: @unchecked Sendable {
    // @unchecked: `context` is only passed to the plugin, whose contract allows concurrent validate/process calls;
    // it is destroyed once, in deinit, when no call can be running.
    public let plugin: AdapterPlugin
    private let context: UnsafeMutableRawPointer
    /// The rules deliveries are checked against at receive instead of calling `validate`: the context's own
    /// (`context_receive_schema`), else the plugin's (`receive_schema`), else none.
    public let receiveSchema: PayloadSchema?

    /// Creates the plugin context; throws the plugin's message when it refuses the configuration.
    public init(plugin: AdapterPlugin, configuration: JSONValue) throws(AdapterError) {
        self.plugin = plugin
        let bytes = CanonicalJSON.encode(configuration)
        var err: UnsafeMutablePointer<CChar>?
        let context = Self.withChars(bytes) { plugin.descriptor.create!($0, $1, &err) }
        let message = Self.take(err, plugin)
        guard let context else {
            throw .invalid("adapter '\(plugin.name)' refused its configuration: \(message ?? "no reason given")")
        }
        var schema = plugin.receiveSchema
        if let declare = plugin.descriptor.context_receive_schema, let text = declare(context) {
            do {
                schema = try PayloadSchema(json: try JSONParser.parse(Array(String(cString: text).utf8)))
            } catch {
                plugin.descriptor.destroy!(context)
                let reason = (error as? AdapterError)?.message ?? "\(error)"
                throw .invalid("adapter '\(plugin.name)' declared an invalid receive schema for this configuration: \(reason)")
            }
        }
        self.receiveSchema = schema
        self.context = context
    }

    deinit {
        plugin.descriptor.destroy!(context)
    }

    /// Runs the plugin's `validate`, or checks its declared ``receiveSchema`` when it has one.
    /// - Parameter payloadJSON: the payload's canonical JSON, when the caller has it (spliced in, not re-encoded).
    public func validate(_ event: AdapterEvent, payloadJSON: [UInt8]? = nil) throws(AdapterError) {
        if let schema = self.receiveSchema {
            // The plugin's rules as data, checked on the payload already parsed: no event JSON to encode and re-parse.
            try schema.check(event.payload)
        } else {
            try self.validateInPlugin(event, payloadJSON: payloadJSON)
        }
    }

    /// The plugin's own `validate`, through the C ABI, whatever it declared.
    func validateInPlugin(_ event: AdapterEvent, payloadJSON: [UInt8]? = nil) throws(AdapterError) {
        let bytes = event.encoded(payloadJSON: payloadJSON)
        var err: UnsafeMutablePointer<CChar>?
        let status = Self.withChars(bytes) { plugin.descriptor.validate!(context, $0, $1, &err) }
        try Self.check(status, message: Self.take(err, plugin), plugin)
    }

    /// Runs the plugin's `process` and checks its output.
    public func process(_ event: AdapterEvent) throws(AdapterError) -> [ContentUpdate] {
        let bytes = event.encoded()
        var err: UnsafeMutablePointer<CChar>?
        var out: UnsafeMutablePointer<CChar>?
        var outCount = 0
        let status = Self.withChars(bytes) { plugin.descriptor.process!(context, $0, $1, &out, &outCount, &err) }
        let message = Self.take(err, plugin)
        defer { if let out { plugin.descriptor.free_buf!(out) } }
        try Self.check(status, message: message, plugin)
        guard let out else { throw .invalid("adapter '\(plugin.name)' reported success but returned no output") }
        return try ContentUpdate.list(from: UnsafeRawBufferPointer(start: out, count: outCount))
    }

    private static func check(_ status: Int32, message: String?, _ plugin: AdapterPlugin) throws(AdapterError) {
        switch status {
        case Int32(HOOKBAY_STATUS_OK.rawValue): return
        case Int32(HOOKBAY_STATUS_INVALID.rawValue): throw .invalid(message ?? "adapter '\(plugin.name)' refused the event")
        case Int32(HOOKBAY_STATUS_RETRY.rawValue): throw .retryable(message ?? "adapter '\(plugin.name)' asked to retry")
        default: throw .retryable("adapter '\(plugin.name)' returned unknown status \(status)")
        }
    }

    /// Hands `bytes` to a C call as `(const char *, size_t)`.
    private static func withChars<T>(_ bytes: [UInt8], _ call: (UnsafePointer<CChar>?, Int) -> T) -> T {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { call($0.baseAddress, $0.count) }
        }
    }

    /// Copies and frees (with the plugin's own `free_buf`) an error string the plugin returned.
    private static func take(_ err: UnsafeMutablePointer<CChar>?, _ plugin: AdapterPlugin) -> String? {
        guard let err else { return nil }
        defer { plugin.descriptor.free_buf!(err) }
        return String(cString: err)
    }
}
