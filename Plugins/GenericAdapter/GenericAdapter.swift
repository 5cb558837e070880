import HookbayJSON
import HookbayPluginKit

/// Any platform by YAML alone. `adapter_config` says which payload fields (dotted paths) carry what:
///
/// ```yaml
/// adapter_config:
///   content_id: item.id          # default content_id
///   title: item.name             # default title
///   content_type: item.kind      # default content_type
///   attributes: [item.genres, item.rating]   # kept under attributes, keyed by path; default none
/// ```
/// `content_id` must be present: a non-empty string, or an integer (kept as its text). `title` and `content_type`,
/// when present, must be strings. These rules are declared as data (``configuredReceiveSchema``), so the gateway checks
/// deliveries against them on the JSON it has parsed, without handing each one through the C ABI.
struct GenericAdapter: HookbayAdapter {
    static let name = "generic"
    static let version = "1.0.0"

    let contentIDPath: String
    let titlePath: String
    let contentTypePath: String
    let attributePaths: [String]
    /// Every rule the adapter checks, from its paths.
    let schema: PayloadSchema

    var configuredReceiveSchema: PayloadSchema? { self.schema }

    init(configuration: JSONValue) throws(AdapterError) {
        guard case .object(let members) = configuration else { throw .invalid("adapter_config must be a mapping") }
        let known: Set<String> = ["content_id", "title", "content_type", "attributes"]
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalid("adapter_config.\(unknown): unknown key; known keys: attributes, content_id, content_type, title")
        }
        func path(_ key: String) throws(AdapterError) -> String {
            switch members[key] {
            case nil: return key
            case .string(let p)? where !p.isEmpty: return p
            default: throw .invalid("adapter_config.\(key) must be a dotted path such as item.id")
            }
        }
        contentIDPath = try path("content_id")
        titlePath = try path("title")
        contentTypePath = try path("content_type")
        switch members["attributes"] {
        case nil: attributePaths = []
        case .array(let items)?:
            var paths: [String] = []
            for item in items {
                guard case .string(let p) = item, !p.isEmpty else { throw .invalid("adapter_config.attributes must be a list of dotted paths") }
                paths.append(p)
            }
            attributePaths = paths
        default: throw .invalid("adapter_config.attributes must be a list of dotted paths")
        }
        schema = PayloadSchema([
            .init(contentIDPath, .id, required: true, dotted: true, label: "the content id"),
            .init(titlePath, .string, dotted: true),
            .init(contentTypePath, .string, dotted: true),
        ])
    }

    func process(_ event: AdapterEvent) throws(AdapterError) -> [ContentUpdate] {
        [try self.update(for: event)]
    }

    private func update(for event: AdapterEvent) throws(AdapterError) -> ContentUpdate {
        let payload = event.payload
        try self.schema.check(payload)
        // The schema held: the content id is a non-empty string or an integer, the others absent, null or strings.
        let contentID: String
        switch payload.value(atPath: contentIDPath) {
        case .string(let s)?: contentID = s
        case .number(let n)?: contentID = n
        default: throw .invalid("payload.\(contentIDPath) (the content id) is required")
        }
        func optionalString(_ path: String) -> String? {
            if case .string(let s)? = payload.value(atPath: path) { return s }
            return nil
        }
        var attributes: [String: JSONValue] = [:]
        for path in attributePaths {
            if let value = payload.value(atPath: path), value != .null { attributes[path] = value }
        }
        return ContentUpdate(
            contentID: contentID,
            action: event.eventType == "content_removed" ? .remove : .upsert,
            title: optionalString(titlePath),
            contentType: optionalString(contentTypePath),
            attributes: attributes.isEmpty ? nil : attributes
        )
    }
}

@_cdecl("hookbay_adapter_entry")
public func hookbayAdapterEntry() -> UnsafeRawPointer { AdapterExport.entry(GenericAdapter.self) }
