import HookbayJSON
import Yams

extension PlatformFileParser {
    /// Why `url` is not an https URL without credentials, or `nil` when it is one.
    public static func urlProblem(_ url: String) -> String? {
        // The same rule as openapi.yaml's pattern: https://host[:port][path?query#fragment], RFC 3986 characters only.
        let bytes = Array(url.utf8)
        guard bytes.count >= 8, String(decoding: bytes[0..<8], as: UTF8.self).lowercased() == "https://" else {
            return "must be an https:// URL"
        }
        let rest = bytes[8...]
        let end = rest.firstIndex { "/?#".utf8.contains($0) } ?? rest.endIndex
        let authority = rest[rest.startIndex..<end]
        if authority.contains(UInt8(ascii: "@")) { return "must not carry credentials" }
        let colon = authority.firstIndex(of: UInt8(ascii: ":"))
        let host = authority[authority.startIndex..<(colon ?? authority.endIndex)]
        guard !host.isEmpty, host.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else {
            return "must name a host (letters, digits, '.' and '-')"
        }
        if let colon {
            let port = authority[authority.index(after: colon)...]
            guard (1...5).contains(port.count), port.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                return "has a bad port"
            }
        }
        let allowed = Set("._~:/?#[]@!$&'()*+,;=%-".utf8)
        guard rest[end...].allSatisfy({ isAlphanumeric($0) || allowed.contains($0) }) else {
            return "may hold only URL characters (RFC 3986; percent-encode others)"
        }
        return nil
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// `[a-z0-9_-]{1,64}`.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64
            && id.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }

    static func isValidHeaderName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (0x21...0x7E).contains(byte) && !"\"(),/:;<=>?@[\\]{}".utf8.contains(byte)
            }
    }

    /// A YAML node as JSON, for `adapter_config`.
    static func json(from node: Node) -> JSONValue {
        switch node {
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping { members[key.string ?? ""] = json(from: value) }
            return .object(members)
        case .sequence(let sequence):
            return .array(sequence.map { json(from: $0) })
        case .scalar(let scalar):
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case Tag.Name.int.rawValue: return node.int.map { .number(String($0)) } ?? .string(scalar.string)
            case Tag.Name.float.rawValue:
                if let d = node.float, d.isFinite { return .number("\(d)") }
                return .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .alias:
            return .null
        }
    }
}
