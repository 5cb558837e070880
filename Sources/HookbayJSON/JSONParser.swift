/// Why a body is not acceptable JSON; the message names the problem and the byte offset.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "\(message) at byte \(offset)" }
}

/// A strict, bounded JSON parser (RFC 8259) for untrusted webhook bodies.
///
/// Strict where leniency would let two different byte strings mean "the same" event, or let hostile input cost too
/// much: invalid UTF-8, duplicate object keys, nesting deeper than ``maxDepth``, numbers longer than
/// ``maxNumberLength`` digits, and trailing bytes are all refused.
public struct JSONParser {
    /// Deepest nesting of arrays and objects accepted.
    public static let maxDepth = 64
    /// Longest number literal accepted, in characters.
    public static let maxNumberLength = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Parses a whole document.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Self.parse(buffer: buffer)
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { Self.parse(buffer: $0) }.get()
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONParseError> {
        var parser = JSONParser(bytes: buffer)
        do throws(JSONParseError) {
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            if parser.index != buffer.count {
                throw parser.error("unexpected data after the JSON value")
            }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    private func error(_ message: String) -> JSONParseError {
        JSONParseError(message: message, offset: self.index)
    }

    private var atEnd: Bool { self.index >= self.bytes.count }

    private var current: UInt8 { self.bytes[self.index] }

    private mutating func skipWhitespace() {
        while !self.atEnd {
            switch self.current {
            case 0x20, 0x0A, 0x0D, 0x09: self.index += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard !self.atEnd else { throw self.error(self.index == 0 ? "empty body" : "unexpected end of JSON") }
        switch self.current {
        case UInt8(ascii: "{"): return try self.parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try self.parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try self.parseString())
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try self.parseNumber())
        default: throw self.error("unexpected character '\(Self.printable(self.current))'")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard self.index + count <= self.bytes.count else { throw self.error("invalid literal") }
        let start = literal.utf8Start
        for i in 0..<count where self.bytes[self.index + i] != start[i] {
            throw self.error("invalid literal")
        }
        self.index += count
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw self.error("JSON nested deeper than \(Self.maxDepth) levels") }
        self.index += 1
        self.skipWhitespace()
        if !self.atEnd, self.current == UInt8(ascii: "}") {
            self.index += 1
            return .object([:])
        }
        // Members are gathered first and the dictionary built once at its final size: inserting into a growing
        // dictionary re-hashes every key at each doubling (a 7-member object would be hashed three times over).
        var members: [(key: String, offset: Int, value: JSONValue)] = []
        members.reserveCapacity(8)
        while true {
            self.skipWhitespace()
            guard !self.atEnd else { throw self.error("unterminated object") }
            guard self.current == UInt8(ascii: "\"") else { throw self.error("expected a string key") }
            let keyOffset = self.index
            let key = try self.parseString()
            self.skipWhitespace()
            guard !self.atEnd, self.current == UInt8(ascii: ":") else { throw self.error("expected ':' after key") }
            self.index += 1
            self.skipWhitespace()
            members.append((key, keyOffset, try self.parseValue(depth: depth)))
            guard try self.separatorOrEnd(UInt8(ascii: "}"), in: "object") else { continue }
            var object = [String: JSONValue](minimumCapacity: members.count)
            for member in members where object.updateValue(member.value, forKey: member.key) != nil {
                throw JSONParseError(message: "duplicate key \"\(member.key)\"", offset: member.offset)
            }
            return .object(object)
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw self.error("JSON nested deeper than \(Self.maxDepth) levels") }
        self.index += 1
        var elements: [JSONValue] = []
        self.skipWhitespace()
        if !self.atEnd, self.current == UInt8(ascii: "]") {
            self.index += 1
            return .array(elements)
        }
        while true {
            self.skipWhitespace()
            elements.append(try self.parseValue(depth: depth))
            if try self.separatorOrEnd(UInt8(ascii: "]"), in: "array") { return .array(elements) }
        }
    }

    /// After an object's member or an array's element: `false` past a `,` (another follows), `true` past `end`.
    @inline(__always)
    private mutating func separatorOrEnd(_ end: UInt8, in container: String) throws(JSONParseError) -> Bool {
        self.skipWhitespace()
        guard !self.atEnd else { throw self.error("unterminated \(container)") }
        let byte = self.current
        guard byte == UInt8(ascii: ",") || byte == end else {
            throw self.error("expected ',' or '\(Character(Unicode.Scalar(end)))' in \(container)")
        }
        self.index += 1
        return byte == end
    }

    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = self.index
        if self.current == UInt8(ascii: "-") { self.index += 1 }
        guard !self.atEnd, Self.isDigit(self.current) else { throw self.error("invalid number") }
        if self.current == UInt8(ascii: "0") {
            self.index += 1
            if !self.atEnd, Self.isDigit(self.current) { throw self.error("numbers may not have leading zeros") }
        } else {
            self.skipDigits()
        }
        if !self.atEnd, self.current == UInt8(ascii: ".") {
            self.index += 1
            guard !self.atEnd, Self.isDigit(self.current) else { throw self.error("invalid number: digits expected after '.'") }
            self.skipDigits()
        }
        if !self.atEnd, self.current == UInt8(ascii: "e") || self.current == UInt8(ascii: "E") {
            self.index += 1
            if !self.atEnd, self.current == UInt8(ascii: "+") || self.current == UInt8(ascii: "-") { self.index += 1 }
            guard !self.atEnd, Self.isDigit(self.current) else { throw self.error("invalid number: digits expected in exponent") }
            self.skipDigits()
        }
        guard self.index - start <= Self.maxNumberLength else {
            throw JSONParseError(message: "number longer than \(Self.maxNumberLength) characters", offset: start)
        }
        return String(decoding: UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self)
    }

    private mutating func skipDigits() {
        while !self.atEnd, Self.isDigit(self.current) { self.index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func parseString() throws(JSONParseError) -> String {
        let start = self.index
        self.index += 1
        // Fast path: no escapes, plain ASCII.
        let scan = ByteScan.firstSpecial(in: self.bytes, from: self.index, nonASCII: true)
        let plainASCII = scan == self.bytes.count || self.bytes[scan] == UInt8(ascii: "\"")
        if plainASCII {
            guard scan < self.bytes.count else { throw JSONParseError(message: "unterminated string", offset: start) }
            let text = String(decoding: UnsafeBufferPointer(rebasing: self.bytes[self.index..<scan]), as: UTF8.self)
            self.index = scan + 1
            return text
        }
        var out: [UInt8] = []
        out.reserveCapacity(scan - self.index + 16)
        while true {
            guard !self.atEnd else { throw JSONParseError(message: "unterminated string", offset: start) }
            let byte = self.current
            switch byte {
            case UInt8(ascii: "\""):
                self.index += 1
                guard let text = String(validating: out, as: UTF8.self) else {
                    throw JSONParseError(message: "string is not valid UTF-8", offset: start)
                }
                return text
            case UInt8(ascii: "\\"):
                self.index += 1
                guard !self.atEnd else { throw JSONParseError(message: "unterminated string", offset: start) }
                let escape = self.current
                self.index += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try self.parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard self.index + 1 < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                            self.bytes[self.index + 1] == UInt8(ascii: "u")
                        else {
                            throw self.error("unpaired UTF-16 surrogate in \\u escape")
                        }
                        self.index += 2
                        let low = try self.parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw self.error("unpaired UTF-16 surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw self.error("unpaired UTF-16 surrogate in \\u escape")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw self.error("invalid \\u escape") }
                    out.append(contentsOf: UTF8.encode(unicode)!)
                default:
                    throw self.error("invalid escape '\\\(Self.printable(escape))'")
                }
            default:
                if byte < 0x20 { throw self.error("unescaped control character in string") }
                out.append(byte)
                self.index += 1
            }
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard self.index + 4 <= self.bytes.count else { throw self.error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.current
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw self.error("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            self.index += 1
        }
        return value
    }

    private static func printable(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : String(format: byte)
    }
}

extension String {
    fileprivate init(format byte: UInt8) {
        let hex = String(byte, radix: 16)
        self = "0x" + (byte < 16 ? "0" + hex : hex)
    }
}
