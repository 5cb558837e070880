import HookbayJSON
import Yams

/// Reads a platform file's YAML nodes into typed values, recording a problem (file, key, line, message) for each node
/// of the wrong type or out of range, so every problem of a file is reported at once.
struct YAMLFieldReader {
    let file: String
    var problems: [ConfigProblem] = []

    var isEmpty: Bool { problems.isEmpty }

    mutating func add(_ key: String?, _ node: Node?, _ message: String) {
        problems.append(ConfigProblem(file: file, key: key, line: node?.mark?.line, message: message))
    }

    mutating func fields(of mapping: Node.Mapping, allowed: Set<String>, path: String?) -> [String: Node] {
        var fields: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                add(path, keyNode, "keys must be strings")
                continue
            }
            let full = path.map { "\($0).\(key)" } ?? key
            guard allowed.contains(key) else {
                add(full, keyNode, "unknown key; known keys here: \(allowed.sorted().joined(separator: ", "))")
                continue
            }
            if fields.updateValue(value, forKey: key) != nil {
                add(full, keyNode, "is given twice")
            }
        }
        return fields
    }

    mutating func string(_ node: Node, key: String, allowEmpty: Bool = false) -> String? {
        guard case .scalar(let scalar) = node, node.tag.rawValue != Tag.Name.null.rawValue else {
            add(key, node, "must be a string")
            return nil
        }
        if !allowEmpty && scalar.string.isEmpty {
            add(key, node, "must not be empty")
            return nil
        }
        return scalar.string
    }

    /// One of `T`'s cases by its name; otherwise a problem that lists them ("must be a, b or c, not 'x'").
    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: Node, key: String, of type: T.Type = T.self) -> T?
    where T.RawValue == String {
        guard let text = string(node, key: key) else { return nil }
        if let value = T(rawValue: text) { return value }
        let names = T.allCases.map(\.rawValue)
        let list = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
        add(key, node, "must be \(list), not '\(text.prefix(64))'")
        return nil
    }

    mutating func bool(_ node: Node, key: String) -> Bool? {
        guard case .scalar = node, let value = node.bool else {
            add(key, node, "must be true or false")
            return nil
        }
        return value
    }

    mutating func int(_ node: Node, key: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar = node, let value = node.int else {
            add(key, node, "must be a whole number")
            return nil
        }
        guard range.contains(value) else {
            add(key, node, "must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
            return nil
        }
        return value
    }

    mutating func mapping(_ node: Node, key: String) -> Node.Mapping? {
        guard case .mapping(let mapping) = node else {
            add(key, node, "must be a mapping")
            return nil
        }
        return mapping
    }

    mutating func sequence(_ node: Node, key: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            add(key, node, "must be a list")
            return nil
        }
        return Array(sequence)
    }

    /// `{ header: Name }` or `{ json: /pointer }`.
    mutating func source(_ node: Node, key: String) -> PlatformConfig.Envelope.Source? {
        guard let mapping = mapping(node, key: key) else { return nil }
        let f = fields(of: mapping, allowed: ["header", "json"], path: key)
        switch (f["header"], f["json"]) {
        case (let h?, nil):
            guard let name = string(h, key: "\(key).header") else { return nil }
            guard PlatformFileParser.isValidHeaderName(name) else {
                add("\(key).header", h, "'\(name)' is not a valid HTTP header name")
                return nil
            }
            return .header(name)
        case (nil, let j?):
            guard let pointer = string(j, key: "\(key).json", allowEmpty: true) else { return nil }
            guard JSONValue.isValidPointer(pointer) else {
                add("\(key).json", j, "'\(pointer)' is not a JSON pointer: use \"\" for the whole body or /a/b")
                return nil
            }
            return .json(pointer)
        default:
            add(key, node, "give exactly one of header or json")
            return nil
        }
    }

    mutating func stringOrList(_ node: Node, key: String) -> [String] {
        if case .sequence(let sequence) = node {
            let values = sequence.compactMap { string($0, key: key) }
            if values.isEmpty && sequence.isEmpty { add(key, node, "must name at least one") }
            return values
        }
        return string(node, key: key).map { [$0] } ?? []
    }
}
