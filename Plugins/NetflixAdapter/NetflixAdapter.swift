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

    /// Every rule `validate` checks, as data: the gateway checks deliveries against it at receive (the default
    /// `validate` checks the same), and `fields(of:)` reads the fields after it.
    static let receiveSchema: PayloadSchema? = PayloadSchema([
        .init("content_id", .nonEmptyString, required: true),
        .init("regions", .stringArray),
        .init("metadata", .object),
        .init("title", .string),
        .init("content_type", .string),
    ])

    func process(_ event: AdapterEvent) throws(AdapterError) -> [ContentUpdate] {
        let fields = try Self.fields(of: event.payload)
        var attributes: [String: JSONValue] = [:]
        if let regions = fields.regions { attributes["regions"] = .array(regions.map(JSONValue.string)) }
        if let metadata = fields.metadata { attributes["metadata"] = metadata }
        return [ContentUpdate(
            contentID: fields.contentID,
            action: event.eventType == "content_removed" ? .remove : .upsert,
            title: fields.title,
            contentType: fields.contentType,
            attributes: attributes.isEmpty ? nil : attributes
        )]
    }

    static func fields(of payload: JSONValue) throws(AdapterError)
        -> (contentID: String, title: String?, contentType: String?, regions: [String]?, metadata: JSONValue?)
    {
        guard case .string(let contentID)? = payload["content_id"], !contentID.isEmpty else {
            throw .invalid("payload.content_id must be a non-empty string")
        }
        func optionalString(_ key: String) throws(AdapterError) -> String? {
            switch payload[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            case let other?: throw .invalid("payload.\(key) must be a string, not \(other.typeName)")
            }
        }
        var regions: [String]?
        switch payload["regions"] {
        case nil, .null?: regions = nil
        case .array(let items)?:
            regions = []
            for (i, item) in items.enumerated() {
                guard case .string(let region) = item else { throw .invalid("payload.regions[\(i)] must be a string, not \(item.typeName)") }
                regions?.append(region)
            }
        case let other?: throw .invalid("payload.regions must be an array of strings, not \(other.typeName)")
        }
        var metadata: JSONValue?
        switch payload["metadata"] {
        case nil, .null?: metadata = nil
        case .object(let m)?: metadata = .object(m)
        case let other?: throw .invalid("payload.metadata must be an object, not \(other.typeName)")
        }
        return (contentID, try optionalString("title"), try optionalString("content_type"), regions, metadata)
    }
}

@_cdecl("hookbay_adapter_entry")
public func hookbayAdapterEntry() -> UnsafeRawPointer { AdapterExport.entry(NetflixAdapter.self) }
