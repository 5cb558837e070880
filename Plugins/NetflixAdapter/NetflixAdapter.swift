import HookbayJSON
import HookbayPluginKit

/// The seed's Netflix rules: `content_id` a non-empty string; `title`, `content_type` optional strings; `regions` an
/// optional array of strings; `metadata` an optional object. Each event becomes one content update.
struct NetflixAdapter: HookbayAdapter {
    static let name = "netflix"
    static let version = "1.0.0"

    init(configuration: JSONValue) throws(AdapterError) {
        guard case .object(let members) = configuration, members.isEmpty else {
            throw .invalid("the netflix adapter takes no adapter_config")
        }
    }

    /// Every rule, as data, in one place: the gateway checks deliveries against it at receive, the default `validate`
    /// checks the same, and `process` checks it before reading the fields.
    static let schema = PayloadSchema([
        .init("content_id", .nonEmptyString, required: true),
        .init("regions", .stringArray),
        .init("metadata", .object),
        .init("title", .string),
        .init("content_type", .string),
    ])
    static var receiveSchema: PayloadSchema? { schema }

    func process(_ event: AdapterEvent) throws(AdapterError) -> [ContentUpdate] {
        let payload = event.payload
        try Self.schema.check(payload)
        // The schema held: every field is absent, null or of its kind.
        var attributes: [String: JSONValue] = [:]
        if case .array(let regions)? = payload["regions"] { attributes["regions"] = .array(regions) }
        if case .object(let metadata)? = payload["metadata"] { attributes["metadata"] = .object(metadata) }
        return [
            ContentUpdate(
                contentID: payload["content_id"]?.stringValue ?? "",
                action: event.eventType == "content_removed" ? .remove : .upsert,
                title: payload["title"]?.stringValue,
                contentType: payload["content_type"]?.stringValue,
                attributes: attributes.isEmpty ? nil : attributes
            )
        ]
    }
}

@_cdecl("hookbay_adapter_entry")
public func hookbayAdapterEntry() -> UnsafeRawPointer { AdapterExport.entry(NetflixAdapter.self) }
