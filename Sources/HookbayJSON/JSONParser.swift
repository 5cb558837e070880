#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

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
    /// The keys of the objects open in a selective parse, innermost last, to refuse duplicates without building them.
    private var keys: [KeySpan] = []
    /// Scratch hash table for the duplicate check of a large object's keys (indices into ``keys``).
    private var slots: [Int] = []
    /// Probes of the key table past which an object's keys are compared as strings instead.
    private var maxProbes = Self.maxProbes
    /// ``maxProbes``' value but in tests.
    static let maxProbes = 16

    /// Where a key is, quotes included; `plain` when it has no escape and only ASCII (its bytes are its text).
    private struct KeySpan {
        var start: Int
        var end: Int
        var plain: Bool
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Parses a whole document.
    /// - Parameter selection: what of the tree to build (``JSONSelection``); the whole document is checked all the
    ///   same, and refused exactly as it would be without one. `nil` builds everything.
    public static func parse(_ bytes: some Collection<UInt8>, keeping selection: JSONSelection? = nil) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Self.parse(buffer: buffer, keeping: selection)
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { Self.parse(buffer: $0, keeping: selection) }.get()
    }

    /// ``parse(_:keeping:)`` giving up on the key table after `maxProbes` probes (tests reach the fallback with 0).
    @_spi(Testing) public static func parse(_ bytes: [UInt8], keeping selection: JSONSelection, maxProbes: Int) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { Self.parse(buffer: $0, keeping: selection, maxProbes: maxProbes) }.get()
    }

    private static func parse(
        buffer: UnsafeBufferPointer<UInt8>, keeping selection: JSONSelection?, maxProbes: Int = Self.maxProbes
    ) -> Result<JSONValue, JSONParseError> {
        var parser = JSONParser(bytes: buffer)
        parser.maxProbes = maxProbes
        do throws(JSONParseError) {
            parser.skipWhitespace()
            let value: JSONValue
            if let selection {
                value = try parser.parseSelected(depth: 0, selection)
            } else {
                value = try parser.parseValue(depth: 0)
            }
            parser.skipWhitespace()
            if parser.index != buffer.count {
                throw parser.error("unexpected data after the JSON value")
            }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    /// The text of the string literal `literal` (quotes included) as the parser reads it; `nil` when it is not one.
    static func decodeString(_ literal: UnsafeBufferPointer<UInt8>) -> String? {
        var parser = JSONParser(bytes: literal)
        guard !literal.isEmpty, literal[0] == UInt8(ascii: "\""), let text = try? parser.parseString(), parser.atEnd else { return nil }
        return text
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
        if try self.open(depth: depth, closing: UInt8(ascii: "}")) { return .object([:]) }
        // Members are gathered first and the dictionary built once at its final size: inserting into a growing
        // dictionary re-hashes every key at each doubling (a 7-member object would be hashed three times over).
        var members: [(key: String, offset: Int, value: JSONValue)] = []
        members.reserveCapacity(8)
        while true {
            try self.expectKey()
            let keyOffset = self.index
            let key = try self.parseString()
            try self.expectColon()
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
        if try self.open(depth: depth, closing: UInt8(ascii: "]")) { return .array([]) }
        var elements: [JSONValue] = []
        while true {
            self.skipWhitespace()
            elements.append(try self.parseValue(depth: depth))
            if try self.separatorOrEnd(UInt8(ascii: "]"), in: "array") { return .array(elements) }
        }
    }

    /// A value of which `selection` is kept (see ``JSONSelection``): an object in part, anything else whole.
    private mutating func parseSelected(depth: Int, _ selection: JSONSelection) throws(JSONParseError) -> JSONValue {
        guard !selection.whole, !self.atEnd, self.current == UInt8(ascii: "{") else { return try self.parseValue(depth: depth) }
        return try self.parseObjectPart(depth: depth + 1, selection)
    }

    /// Checks a value as ``parseValue(depth:)`` does, building nothing.
    private mutating func skipValue(depth: Int) throws(JSONParseError) {
        guard !self.atEnd else { throw self.error(self.index == 0 ? "empty body" : "unexpected end of JSON") }
        switch self.current {
        case UInt8(ascii: "{"): _ = try self.parseObjectPart(depth: depth + 1, nil)
        case UInt8(ascii: "["): try self.skipArray(depth: depth + 1)
        case UInt8(ascii: "\""): _ = try self.skipString()
        case UInt8(ascii: "t"): try self.expectLiteral("true")
        case UInt8(ascii: "f"): try self.expectLiteral("false")
        case UInt8(ascii: "n"): try self.expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try self.scanNumber()
        default: throw self.error("unexpected character '\(Self.printable(self.current))'")
        }
    }

    /// An object with only the members `selection` names, each kept as it says; with no selection, nothing is kept
    /// (the object is only checked). Its keys are checked for duplicates as ``parseObject(depth:)`` does.
    private mutating func parseObjectPart(depth: Int, _ selection: JSONSelection?) throws(JSONParseError) -> JSONValue {
        if try self.open(depth: depth, closing: UInt8(ascii: "}")) { return .object([:]) }
        let base = self.keys.count
        var kept: [String: JSONValue] = [:]
        while true {
            try self.expectKey()
            let start = self.index
            let plain = try self.skipString()
            let key = KeySpan(start: start, end: self.index, plain: plain)
            self.keys.append(key)
            try self.expectColon()
            if let selection, !selection.members.isEmpty, let name = self.selectedName(key, in: selection), let part = selection.members[name] {
                kept[name] = try self.parseSelected(depth: depth, part)
            } else {
                try self.skipValue(depth: depth)
            }
            guard try self.separatorOrEnd(UInt8(ascii: "}"), in: "object") else { continue }
            try self.checkDistinctKeys(from: base)
            return .object(kept)
        }
    }

    /// Checks an array as ``parseArray(depth:)`` does, building nothing.
    private mutating func skipArray(depth: Int) throws(JSONParseError) {
        if try self.open(depth: depth, closing: UInt8(ascii: "]")) { return }
        while true {
            self.skipWhitespace()
            try self.skipValue(depth: depth)
            if try self.separatorOrEnd(UInt8(ascii: "]"), in: "array") { return }
        }
    }

    /// Checks a string as ``parseString()`` does; `true` when it is plain (no escape, only ASCII), its bytes its text.
    private mutating func skipString() throws(JSONParseError) -> Bool {
        let scan = ByteScan.firstSpecial(in: self.bytes, from: self.index + 1, nonASCII: true)
        if scan < self.bytes.count, self.bytes[scan] == UInt8(ascii: "\"") {
            self.index = scan + 1
            return true
        }
        _ = try self.parseString()
        return false
    }

    /// The key's text when `selection` may name it: a plain key is first compared by its bytes with a few ASCII
    /// names (no String, no hash), anything else is looked up as a String.
    private func selectedName(_ key: KeySpan, in selection: JSONSelection) -> String? {
        guard key.plain, let names = selection.asciiNames, let base = self.bytes.baseAddress else { return self.text(of: key) }
        let count = key.end - key.start - 2
        for name in names where name.count == count {
            let same = name.withUnsafeBufferPointer { name in count == 0 || memcmp(name.baseAddress!, base + key.start + 1, count) == 0 }
            if same { return self.text(of: key) }
        }
        return nil
    }

    /// A key's text: its bytes when plain, else decoded again.
    private func text(of key: KeySpan) -> String {
        if key.plain { return String(decoding: UnsafeBufferPointer(rebasing: self.bytes[key.start + 1..<key.end - 1]), as: UTF8.self) }
        // It was decoded once already without error.
        return Self.decodeString(UnsafeBufferPointer(rebasing: self.bytes[key.start..<key.end])) ?? ""
    }

    /// Refuses the first key of the object whose keys start at `base` in ``keys`` that repeats an earlier one, as
    /// `String` equality judges (what a dictionary of the whole tree would), then forgets the object's keys.
    private mutating func checkDistinctKeys(from base: Int) throws(JSONParseError) {
        defer { self.keys.removeSubrange(base...) }
        let count = self.keys.count - base
        guard count > 1 else { return }
        func duplicate(_ key: KeySpan) -> JSONParseError {
            JSONParseError(message: "duplicate key \"\(self.text(of: key))\"", offset: key.start)
        }
        // Escapes or non-ASCII text: equal strings may be different bytes ("\u0061" and "a", or "K" and the Kelvin
        // sign), so they are compared as strings.
        func compareAsStrings() throws(JSONParseError) {
            var seen = Set<String>(minimumCapacity: count)
            for key in self.keys[base...] where !seen.insert(self.text(of: key)).inserted { throw duplicate(key) }
        }
        guard self.keys[base...].allSatisfy(\.plain) else { return try compareAsStrings() }
        if count <= 8 {
            for j in base + 1..<self.keys.count {
                for i in base..<j where self.sameBytes(self.keys[i], self.keys[j]) { throw duplicate(self.keys[j]) }
            }
            return
        }
        // Open addressing on a cheap hash with a per-process seed (`Hasher`'s SipHash per key was a tenth of a push's
        // CPU). Keys chosen to collide cannot make it quadratic: past a few probes, the object is checked as strings,
        // with `Hasher`.
        var size = 16
        while size < count * 2 { size <<= 1 }
        if self.slots.count < size {
            self.slots = Array(repeating: -1, count: size)
        } else {
            for slot in 0..<size { self.slots[slot] = -1 }
        }
        let mask = size - 1
        for j in base..<self.keys.count {
            let key = self.keys[j]
            var slot = self.hash(key) & mask
            var probes = 0
            while self.slots[slot] >= 0 {
                if self.sameBytes(self.keys[self.slots[slot]], key) { throw duplicate(key) }
                probes += 1
                if probes > self.maxProbes { return try compareAsStrings() }
                slot = (slot + 1) & mask
            }
            self.slots[slot] = j
        }
    }

    /// This process's hash seed for keys.
    private static let seed = UInt64.random(in: .min ... .max)

    /// A key's bytes mixed eight at a time with the process's seed.
    private func hash(_ key: KeySpan) -> Int {
        guard let base = self.bytes.baseAddress else { return 0 }
        let raw = UnsafeRawPointer(base + key.start)
        let count = key.end - key.start
        var h = Self.seed ^ (UInt64(count) &* 0x9E37_79B9_7F4A_7C15)
        var i = 0
        while i + 8 <= count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        while i < count {
            tail = tail << 8 | UInt64(raw.load(fromByteOffset: i, as: UInt8.self))
            i += 1
        }
        // MurmurHash3's finalizer: every bit of the state reaches the low bits the table uses, so which keys share a
        // slot depends on the seed.
        h ^= tail
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return Int(truncatingIfNeeded: h)
    }

    private func sameBytes(_ a: KeySpan, _ b: KeySpan) -> Bool {
        let count = a.end - a.start
        guard count == b.end - b.start, let base = self.bytes.baseAddress else { return false }
        return memcmp(base + a.start, base + b.start, count) == 0
    }

    /// At an object member's key: past the whitespace, at its opening quote.
    @inline(__always)
    private mutating func expectKey() throws(JSONParseError) {
        self.skipWhitespace()
        guard !self.atEnd else { throw self.error("unterminated object") }
        guard self.current == UInt8(ascii: "\"") else { throw self.error("expected a string key") }
    }

    /// After an object member's key: past the `:` and the whitespace around it.
    @inline(__always)
    private mutating func expectColon() throws(JSONParseError) {
        self.skipWhitespace()
        guard !self.atEnd, self.current == UInt8(ascii: ":") else { throw self.error("expected ':' after key") }
        self.index += 1
        self.skipWhitespace()
    }

    /// Past an object's or array's opening bracket, nested `depth` deep: `true` when it closes at once with `close`.
    @inline(__always)
    private mutating func open(depth: Int, closing close: UInt8) throws(JSONParseError) -> Bool {
        guard depth <= Self.maxDepth else { throw self.error("JSON nested deeper than \(Self.maxDepth) levels") }
        self.index += 1
        self.skipWhitespace()
        guard !self.atEnd, self.current == close else { return false }
        self.index += 1
        return true
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
        let start = try self.scanNumber()
        return String(decoding: UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self)
    }

    /// Checks a number and moves past it; where it starts.
    private mutating func scanNumber() throws(JSONParseError) -> Int {
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
        return start
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
