import Yams

/// The one-line change that turns a platform file's `enabled:` to a value, every other byte of the file kept.
///
/// The top-level `enabled:` value is replaced where it stands (a comment after it stays); a file without the key gets
/// `enabled: <value>` as a new last line. Anything it cannot change in one line (a value on another line, a tag, an
/// alias) is refused with a reason, and the result is composed again to prove it says what was asked.
public enum EnabledLineEdit {
    /// Why a file cannot be switched by rewriting one line.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// The file's text with `enabled` set to `enabled`, or `nil` when it already says so.
    public static func apply(_ enabled: Bool, to text: String, file: String) throws(Refusal) -> String? {
        let mapping = try Self.mapping(text, file: file)
        let value = enabled ? "true" : "false"
        guard let (key, node) = mapping.first(where: { $0.key.string == "enabled" }) else {
            // (Yams reports the style of a mapping's end, not of its start: look at the text instead.)
            if let mark = mapping.mark, Self.byteRange(of: "{", line: mark.line, column: mark.column, in: text) != nil {
                throw Refusal("\(file) is one flow mapping ({...}); add an enabled: line to it by hand once")
            }
            // The file's own line ending (CRLF files stay CRLF), after a last line that had none.
            let newline = text.contains("\r\n") ? "\r\n" : "\n"
            let separator = text.isEmpty || text.utf8.last == UInt8(ascii: "\n") ? "" : newline
            return try Self.checked(text + separator + "enabled: \(value)" + newline, enabled: enabled, file: file)
        }
        if node.bool == enabled { return nil }
        guard case .scalar(let scalar) = node, scalar.style == .plain,
            let keyMark = key.mark, let mark = node.mark, mark.line == keyMark.line,
            let range = Self.byteRange(of: scalar.string, line: mark.line, column: mark.column, in: text)
        else {
            throw Refusal("the enabled: value in \(file) is not a plain true or false on its key's line; write it as enabled: \(value) by hand")
        }
        var bytes = Array(text.utf8)
        bytes.replaceSubrange(range, with: value.utf8)
        return try Self.checked(String(decoding: bytes, as: UTF8.self), enabled: enabled, file: file)
    }

    /// Where `expected` stands in `text`, by libyaml's position (line and column from 1, the column in Unicode
    /// scalars), when the bytes there are exactly it.
    static func byteRange(of expected: String, line: Int, column: Int, in text: String) -> Range<Int>? {
        let bytes = Array(text.utf8)
        var offset = 0
        var current = 1
        while current < line {
            guard let newline = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            offset = newline + 1
            current += 1
        }
        var scalars = 1
        while scalars < column {
            guard offset < bytes.count, bytes[offset] != UInt8(ascii: "\n") else { return nil }
            // Skip one scalar: a lead byte, then its continuation bytes (10xxxxxx).
            offset += 1
            while offset < bytes.count, bytes[offset] & 0xC0 == 0x80 { offset += 1 }
            scalars += 1
        }
        let wanted = Array(expected.utf8)
        guard offset + wanted.count <= bytes.count, Array(bytes[offset..<offset + wanted.count]) == wanted else { return nil }
        return offset..<offset + wanted.count
    }

    private static func mapping(_ text: String, file: String) throws(Refusal) -> Node.Mapping {
        do {
            return try PlatformFileParser.compose(text, file: file)
        } catch {
            throw Refusal(error.problems.map(\.description).joined(separator: "; "))
        }
    }

    /// `text` when it composes to a mapping whose `enabled` is `enabled`.
    private static func checked(_ text: String, enabled: Bool, file: String) throws(Refusal) -> String {
        let mapping = try Self.mapping(text, file: file)
        let values = mapping.filter { $0.key.string == "enabled" }.map(\.value.bool)
        guard values == [enabled] else {
            throw Refusal("cannot switch \(file) by changing one line (does it hold more than one YAML document?); edit it by hand")
        }
        return text
    }
}
