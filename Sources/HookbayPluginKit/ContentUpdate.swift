import HookbayJSON

/// One change to the content database that an adapter derives from an event.
public struct ContentUpdate: Sendable, Equatable {
    public enum Action: String, Sendable {
        case upsert
        case remove
    }

    public var contentID: String
    public var action: Action
    public var title: String?
    public var contentType: String?
    /// Anything else worth keeping, as a JSON object.
    public var attributes: [String: JSONValue]?

    public init(
        contentID: String, action: Action, title: String? = nil, contentType: String? = nil,
        attributes: [String: JSONValue]? = nil
    ) {
        self.contentID = contentID
        self.action = action
        self.title = title
        self.contentType = contentType
        self.attributes = attributes
    }

    /// The update as the ABI's JSON object.
    public var json: JSONValue {
        var members: [String: JSONValue] = ["content_id": .string(contentID), "action": .string(action.rawValue)]
        if let title { members["title"] = .string(title) }
        if let contentType { members["content_type"] = .string(contentType) }
        if let attributes { members["attributes"] = .object(attributes) }
        return .object(members)
    }

    /// Reads and checks one update from a plugin's output; the error names what is wrong.
    public init(json: JSONValue) throws(AdapterError) {
        guard case .object(let members) = json else { throw .invalid("a content update must be an object, not \(json.typeName)") }
        let known: Set<String> = ["content_id", "action", "title", "content_type", "attributes"]
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalid("content update has unknown field '\(unknown)'")
        }
        guard case .string(let id) = members["content_id"], !id.isEmpty else {
            throw .invalid("content update field 'content_id' must be a non-empty string")
        }
        guard case .string(let actionText) = members["action"], let action = Action(rawValue: actionText) else {
            throw .invalid("content update field 'action' must be \"upsert\" or \"remove\"")
        }
        func optionalString(_ key: String) throws(AdapterError) -> String? {
            switch members[key] {
            case nil, .null?: return nil
            case .string(let s)?: return s
            case let other?: throw .invalid("content update field '\(key)' must be a string, not \(other.typeName)")
            }
        }
        var attributes: [String: JSONValue]?
        switch members["attributes"] {
        case nil, .null?: attributes = nil
        case .object(let a)?: attributes = a
        case let other?: throw .invalid("content update field 'attributes' must be an object, not \(other.typeName)")
        }
        self.init(
            contentID: id, action: action, title: try optionalString("title"),
            contentType: try optionalString("content_type"), attributes: attributes)
    }

    /// Reads a plugin's whole output: a JSON array of updates.
    public static func list(from bytes: some Collection<UInt8>) throws(AdapterError) -> [ContentUpdate] {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw .invalid("adapter output is not valid JSON: \(error)")
        }
        guard case .array(let items) = document else {
            throw .invalid("adapter output must be a JSON array of content updates, not \(document.typeName)")
        }
        var updates: [ContentUpdate] = []
        for (index, item) in items.enumerated() {
            do {
                updates.append(try ContentUpdate(json: item))
            } catch {
                throw .invalid("content update #\(index): \(error.message)")
            }
        }
        return updates
    }
}
