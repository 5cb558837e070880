import HookbayJSON

/// An adapter's payload rules as data: which payload fields it needs (top-level names, or dotted paths), of what kind.
///
/// An adapter that declares its rules (``HookbayAdapter/receiveSchema``) lets the gateway check deliveries against
/// them on the JSON it has already parsed, instead of handing every delivery's JSON through the C ABI to be parsed
/// again by the plugin's `validate` (the largest single check on the receive path). The adapter's default `validate`
/// runs the same ``check(_:)``, so a delivery is judged the same wherever it is checked.
public struct PayloadSchema: Sendable, Equatable {
    /// What a field's value must be. A field that is not required may also be absent or `null`.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// A string.
        case string
        /// A string of at least one character.
        case nonEmptyString = "non_empty_string"
        /// An array whose every element is a string.
        case stringArray = "string_array"
        /// An object.
        case object
        /// An identifier: a non-empty string, or an integer (a number without fraction or exponent).
        case id
    }

    /// One field of the payload.
    public struct Field: Sendable, Equatable {
        /// A top-level member's name; with ``dotted``, a dotted path (`repository.full_name`) walking objects.
        public var name: String
        public var kind: Kind
        public var required: Bool
        /// Whether ``name`` is a dotted path (`"path"` in the ABI's form) rather than one member's name (`"name"`).
        public var dotted: Bool
        /// What the field is, said in refusals after its path (`payload.id (the content id) is required`).
        public var label: String?

        public init(_ name: String, _ kind: Kind, required: Bool = false, dotted: Bool = false, label: String? = nil) {
            self.name = name
            self.kind = kind
            self.required = required
            self.dotted = dotted
            self.label = label
        }

        /// The field's value in `payload`, `nil` when absent.
        public func value(in payload: JSONValue) -> JSONValue? {
            self.dotted ? payload.value(atPath: self.name) : payload[self.name]
        }
    }

    /// Checked in this order; the first refusal is the one reported.
    public var fields: [Field]

    public init(_ fields: [Field]) {
        self.fields = fields
    }

    /// Refuses a payload that breaks a rule, with the field's path and what was found
    /// (`payload.title must be a string, not number`).
    public func check(_ payload: JSONValue) throws(AdapterError) {
        for field in self.fields {
            try Self.check(field.value(in: payload), field)
        }
    }

    private static func check(_ value: JSONValue?, _ field: Field) throws(AdapterError) {
        // Named only in a refusal: building it for every field of every accepted payload cost an allocation each.
        var path: String { "payload.\(field.name)" + (field.label.map { " (\($0))" } ?? "") }
        if field.kind == .id {
            switch value {
            case .string(let s)? where !s.isEmpty: return
            case .number(let n)? where !n.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }): return
            case nil, .null?:
                if !field.required { return }
                throw .invalid("\(path) is required")
            case let other?:
                throw .invalid("\(path) must be a non-empty string or an integer, not \(other.typeName)")
            }
        }
        if field.kind == .nonEmptyString {
            switch value {
            case .string(let s)? where !s.isEmpty: return
            case nil, .null?: if !field.required { return }
            default: break
            }
            throw .invalid("\(path) must be a non-empty string")
        }
        guard let value, value != .null else {
            if field.required { throw .invalid("\(path) is required") }
            return
        }
        switch (field.kind, value) {
        case (.string, .string), (.object, .object):
            return
        case (.stringArray, .array(let items)):
            for (i, item) in items.enumerated() {
                guard case .string = item else { throw .invalid("\(path)[\(i)] must be a string, not \(item.typeName)") }
            }
        case (.string, _):
            throw .invalid("\(path) must be a string, not \(value.typeName)")
        case (.stringArray, _):
            throw .invalid("\(path) must be an array of strings, not \(value.typeName)")
        case (.object, _):
            throw .invalid("\(path) must be an object, not \(value.typeName)")
        case (.nonEmptyString, _), (.id, _):
            return // handled above
        }
    }

    /// The schema as the ABI carries it: `[{"name" | "path": ..., "kind": ..., "required": true|false, "label"?: ...}, ...]`.
    public var json: JSONValue {
        .array(
            self.fields.map { field in
                var members: [String: JSONValue] = [
                    field.dotted ? "path" : "name": .string(field.name), "kind": .string(field.kind.rawValue), "required": .bool(field.required),
                ]
                if let label = field.label { members["label"] = .string(label) }
                return .object(members)
            })
    }

    /// Reads the ABI's form; the message says what is wrong.
    public init(json: JSONValue) throws(AdapterError) {
        guard case .array(let items) = json else { throw .invalid("the receive schema must be an array of fields") }
        var fields: [Field] = []
        for (i, item) in items.enumerated() {
            let dotted = item["path"] != nil
            guard case .string(let name)? = item[dotted ? "path" : "name"], !name.isEmpty, !(dotted && item["name"] != nil),
                case .string(let kindName)? = item["kind"], let kind = Kind(rawValue: kindName)
            else {
                let kinds = Kind.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalid("receive schema field \(i) needs one non-empty \"name\" or \"path\" and a \"kind\" among \(kinds)")
            }
            var label: String?
            switch item["label"] {
            case nil: break
            case .string(let text)? where !text.isEmpty && text.utf8.count <= 64: label = text
            default: throw .invalid("receive schema field \(i): \"label\" must be a string of 1 to 64 bytes")
            }
            var required = false
            switch item["required"] {
            case nil: break
            case .bool(let flag)?: required = flag
            default: throw .invalid("receive schema field \(i): \"required\" must be true or false")
            }
            fields.append(Field(name, kind, required: required, dotted: dotted, label: label))
        }
        self.fields = fields
    }
}
