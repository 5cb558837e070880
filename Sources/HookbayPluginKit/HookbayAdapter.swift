import HookbayJSON

/// What a Swift adapter plugin implements. Export it with one line (see ``AdapterExport``):
///
/// ```swift
/// @_cdecl("hookbay_adapter_entry")
/// public func hookbayAdapterEntry() -> UnsafeRawPointer { AdapterExport.entry(MyAdapter.self) }
/// ```
///
/// One instance serves one platform (configured by its `adapter_config`) and may be called from several threads at
/// once: keep it immutable, or synchronise.
public protocol HookbayAdapter: Sendable {
    /// The name platforms select it by (`adapter: NAME`): `[a-z0-9_-]{1,64}`.
    static var name: String { get }
    /// The adapter's own version, shown by `hookbay plugins`.
    static var version: String { get }
    /// Configures an instance from the platform's `adapter_config` (`{}` when absent).
    /// Throw to refuse the configuration; the platform then does not load.
    init(configuration: JSONValue) throws(AdapterError)
    /// The payload rules, as data, when they are all `validate` checks: the gateway then checks deliveries against them
    /// itself, on the JSON it already parsed, and does not call `validate` at receive. `nil` (the default): every
    /// delivery goes through `validate`.
    static var receiveSchema: PayloadSchema? { get }
    /// This configured instance's rules, when they depend on its `adapter_config` (the generic adapter's paths): it
    /// replaces ``receiveSchema`` for the instance. Default `nil`.
    var configuredReceiveSchema: PayloadSchema? { get }
    /// Checks an event in the request path: throw ``AdapterError/invalid(_:)`` to answer 400. The default checks
    /// ``configuredReceiveSchema`` or ``receiveSchema``; an adapter that checks more must not declare a schema.
    func validate(_ event: AdapterEvent) throws(AdapterError)
    /// Turns an event into content updates for the database.
    func process(_ event: AdapterEvent) throws(AdapterError) -> [ContentUpdate]
}

extension HookbayAdapter {
    public static var receiveSchema: PayloadSchema? { nil }

    public var configuredReceiveSchema: PayloadSchema? { nil }

    public func validate(_ event: AdapterEvent) throws(AdapterError) {
        try (self.configuredReceiveSchema ?? Self.receiveSchema)?.check(event.payload)
    }
}
