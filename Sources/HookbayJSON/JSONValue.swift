import Foundation

/// A parsed JSON document, kept faithful enough to re-serialise canonically.
///
/// Numbers keep their literal text (`1.50` stays `1.50`), so hashing never depends on floating-point rounding.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number as written in the document; always valid JSON number grammar.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members by key; duplicate keys are refused by the parser, so a dictionary loses nothing.
    case object([String: JSONValue])

    /// The member at `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The value when this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The members when this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// A short name of the value's type, for error messages ("string", "object", ...).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Follows a dotted path (`"a.b.c"`) through nested objects.
    public func value(atPath path: String) -> JSONValue? {
        // One name (the common case): looked up as it is, without splitting or copying it.
        guard path.utf8.contains(UInt8(ascii: ".")) else { return self[path] }
        return self.value(atKeys: Self.pathKeys(path))
    }

    /// Follows member names through nested objects.
    public func value(atKeys keys: some Sequence<String>) -> JSONValue? {
        var current = self
        for key in keys {
            guard let next = current[key] else { return nil }
            current = next
        }
        return current
    }

    /// The member names a dotted path (`"a.b.c"`) walks, in order.
    public static func pathKeys(_ path: String) -> [String] {
        // By Unicode scalars: a name that starts with a combining mark is one `Character` with the "." before it.
        path.unicodeScalars.split(separator: ".", omittingEmptySubsequences: false).map { String(String.UnicodeScalarView($0)) }
    }
}

extension JSONValue {
    /// Resolves an RFC 6901 JSON pointer (`""` is the whole document, `"/a/0/b"` walks objects and arrays,
    /// `~1` stands for `/` and `~0` for `~`). `nil` when the pointer is malformed or leads nowhere.
    public func value(atPointer pointer: String) -> JSONValue? {
        guard let tokens = Self.pointerTokens(pointer) else { return nil }
        var current = self
        for token in tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let elements):
                guard let index = Self.arrayIndex(token), index < elements.count else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }

    /// The array index a pointer's reference token names: digits without a leading zero; `nil` for anything else.
    static func arrayIndex(_ token: String) -> Int? {
        let digits = token.utf8
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            token == "0" || digits.first != UInt8(ascii: "0")
        else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// The reference tokens of an RFC 6901 pointer, unescaped (`~1` is `/`, `~0` is `~`); `nil` when malformed.
    public static func pointerTokens(_ pointer: String) -> [String]? {
        if pointer.isEmpty { return [] }
        // Split and unescaped by Unicode scalars: a token that starts with a combining mark is one `Character` with the
        // `/` before it.
        let scalars = pointer.unicodeScalars
        guard scalars.first == "/" else { return nil }
        return scalars.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { token in
            var text = String.UnicodeScalarView()
            var tilde = false
            for scalar in token {
                if tilde {
                    tilde = false
                    if scalar == "0" || scalar == "1" {
                        text.append(scalar == "0" ? "~" : "/")
                        continue
                    }
                    text.append("~")
                }
                if scalar == "~" { tilde = true } else { text.append(scalar) }
            }
            if tilde { text.append("~") }
            return String(text)
        }
    }

    /// Whether `pointer` is a syntactically valid JSON pointer.
    public static func isValidPointer(_ pointer: String) -> Bool {
        self.pointerTokens(pointer) != nil
    }
}
