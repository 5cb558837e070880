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
/// when present, must be strings.
struct GenericAdapter: HookbayAdapter {
    static let name = "generic"
    static let version = "1.0.0"

    let contentIDPath: String
    let titlePath: String
    let contentTypePath: String
    let attributePaths: [String]

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
    }

    func validate(_ event: AdapterEvent) throws(AdapterError) {
        _ = try self.update(for: event)
    }

    func process(_ event: AdapterEvent) throws(AdapterError) -> [ContentUpdate] {
        [try self.update(for: event)]
    }

    private func update(for event: AdapterEvent) throws(AdapterError) -> ContentUpdate {
        let payload = event.payload
        let contentID: String
        switch payload.value(atPath: contentIDPath) {
        case .string(let s)? where !s.isEmpty: contentID = s
        case .number(let n)? where !n.contains(".") && !n.contains("e") && !n.contains("E"): contentID = n
        case nil, .null?: throw .invalid("payload.\(contentIDPath) (the content id) is missing")
        case let other?: throw .invalid("payload.\(contentIDPath) (the content id) must be a non-empty string or an integer, not \(other.typeName)")
        }
        func optionalString(_ path: String) throws(AdapterError) -> String? {
            switch payload.value(atPath: path) {
            case nil, .null?: return nil
            case .string(let s)?: return s
            case let other?: throw .invalid("payload.\(path) must be a string, not \(other.typeName)")
            }
        }
        var attributes: [String: JSONValue] = [:]
        for path in attributePaths {
            if let value = payload.value(atPath: path), value != .null { attributes[path] = value }
        }
        return ContentUpdate(
            contentID: contentID,
            action: event.eventType == "content_removed" ? .remove : .upsert,
            title: try optionalString(titlePath),
            contentType: try optionalString(contentTypePath),
            attributes: attributes.isEmpty ? nil : attributes
        )
    }
}

@_cdecl("hookbay_adapter_entry")
public func hookbayAdapterEntry() -> UnsafeRawPointer { AdapterExport.entry(GenericAdapter.self) }
