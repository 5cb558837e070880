import HookbayJSON
import Yams

extension PlatformFileParser {
    /// `required_fields`, `event_types` and `subscribe`.
    func readEvents(_ fields: [String: Node], into config: inout PlatformConfig, _ reader: inout YAMLFieldReader) {
        if let node = fields["required_fields"], let items = reader.sequence(node, key: "required_fields") {
            config.requiredFields = items.compactMap { item in
                guard let path = reader.string(item, key: "required_fields") else { return nil }
                if JSONValue.pathKeys(path).contains(where: \.isEmpty) {
                    reader.add("required_fields", item, "'\(path)' is not a dotted path like content_id or metadata.rating")
                    return nil
                }
                return path
            }
        }

        if let node = fields["event_types"], let sub = reader.mapping(node, key: "event_types") {
            var types: [String: CanonicalEventType] = [:]
            for (keyNode, valueNode) in sub {
                guard let name = reader.string(keyNode, key: "event_types") else { continue }
                guard let value = reader.string(valueNode, key: "event_types.\(name)") else { continue }
                guard let canonical = CanonicalEventType(rawValue: value) else {
                    reader.add("event_types.\(name)", valueNode, "'\(value)' is not one of content_added, content_updated, content_removed")
                    continue
                }
                if types.updateValue(canonical, forKey: name) != nil {
                    reader.add("event_types.\(name)", keyNode, "is listed twice")
                }
            }
            if types.isEmpty && reader.isEmpty { reader.add("event_types", node, "must map at least one event type") }
            config.eventTypes = types
        }

        if let node = fields["subscribe"], let items = reader.sequence(node, key: "subscribe") {
            var subscribed: Set<String> = []
            for item in items {
                guard let name = reader.string(item, key: "subscribe") else { continue }
                if config.eventTypes[name] == nil {
                    reader.add("subscribe", item, "'\(name)' is not one of event_types (\(config.eventTypes.keys.sorted().joined(separator: ", ")))")
                }
                subscribed.insert(name)
            }
            if subscribed.isEmpty && reader.isEmpty { reader.add("subscribe", node, "must name at least one event type") }
            config.subscribe = subscribed
        }
    }
}
