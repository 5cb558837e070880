/// An index of a document's values, built in one pass over its bytes, from which the canonical form of any part is
/// written without a ``JSONValue`` tree (``CanonicalJSON/encode(valueAt:in:)``).
///
/// The event id of a delivery without the platform's own id is the hash of its payload's canonical form. Building the
/// payload's whole tree to encode it, then freeing it, was half of such a delivery's CPU. The canonical form needs
/// only where each value is and the order of each object's keys: plain strings, numbers and literals are copied as
/// they are written, and only escaped strings are decoded.
///
/// The document must already have been checked by ``JSONParser``; the tape answers `nil` for what it cannot index
/// (an unclosed container, an unterminated string, nesting deeper than ``JSONParser/maxDepth``), and reads no byte
/// outside the document whatever it holds.
struct JSONTape {
    enum Kind: UInt8 {
        case object, array
        /// A string with no escape: its bytes, quotes included, are its canonical form.
        case plainString
        /// A string with an escape: decoded, then written canonically.
        case escapedString
        /// A number or a literal, written as it is.
        case scalar
    }

    /// One value of the document, in document order: an object's key and value are two nodes in a row.
    struct Node {
        var start: Int32
        /// Past the value's last byte.
        var end: Int32
        /// The node after this value and everything in it.
        var next: Int32
        var kind: Kind
    }

    /// An object's member while the object is written: where its key's text is, and its value's node.
    private struct Member {
        var key: UnsafeBufferPointer<UInt8>
        var value: Int
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var nodes: [Node] = []
    /// Members of the objects being written, innermost last.
    private var members: [Member] = []

    /// Indexes `bytes`, or `nil` when they are not a document the tape can index.
    init?(bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count < Int32.max else { return nil }
        self.bytes = bytes
        self.nodes.reserveCapacity(bytes.count / 8 + 4)
        var open: [Int] = []
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            switch byte {
            case 0x20, 0x0A, 0x0D, 0x09, UInt8(ascii: ","), UInt8(ascii: ":"):
                index += 1
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard open.count < JSONParser.maxDepth else { return nil }
                open.append(self.nodes.count)
                self.append(start: index, end: index + 1, kind: byte == UInt8(ascii: "{") ? .object : .array)
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard let node = open.popLast(), self.nodes[node].kind == (byte == UInt8(ascii: "}") ? .object : .array) else { return nil }
                self.nodes[node].end = Int32(index + 1)
                self.nodes[node].next = Int32(self.nodes.count)
                index += 1
            case UInt8(ascii: "\""):
                var end = ByteScan.firstSpecial(in: bytes, from: index + 1, nonASCII: false)
                var escaped = false
                while end < count, bytes[end] == UInt8(ascii: "\\") {
                    escaped = true
                    end = ByteScan.firstSpecial(in: bytes, from: end + 2, nonASCII: false)
                }
                guard end < count, bytes[end] == UInt8(ascii: "\"") else { return nil }
                self.append(start: index, end: end + 1, kind: escaped ? .escapedString : .plainString)
                index = end + 1
            default:
                let start = index
                while index < count, !Self.endsScalar(bytes[index]) { index += 1 }
                self.append(start: start, end: index, kind: .scalar)
            }
        }
        guard open.isEmpty, !self.nodes.isEmpty else { return nil }
    }

    private mutating func append(start: Int, end: Int, kind: Kind) {
        self.nodes.append(Node(start: Int32(start), end: Int32(end), next: Int32(self.nodes.count + 1), kind: kind))
    }

    private static func endsScalar(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x0A, 0x0D, 0x09, UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["),
            UInt8(ascii: "]"), UInt8(ascii: "\""):
            return true
        default:
            return false
        }
    }

    /// The node of the value `tokens` lead to from the document's root, as ``JSONValue/value(atPointer:)`` walks them
    /// (member names through objects, indices through arrays); `nil` when they lead nowhere.
    func node(at tokens: [String]) -> Int? {
        var current = 0
        for token in tokens {
            let node = self.nodes[current]
            var child = current + 1
            switch node.kind {
            case .object:
                while true {
                    guard child + 1 < Int(node.next) else { return nil }
                    if self.text(of: child) == token { break }
                    child = Int(self.nodes[child + 1].next)
                }
                current = child + 1
            case .array:
                guard var remaining = JSONValue.arrayIndex(token) else { return nil }
                while remaining > 0, child < Int(node.next) {
                    child = Int(self.nodes[child].next)
                    remaining -= 1
                }
                guard child < Int(node.next) else { return nil }
                current = child
            default:
                return nil
            }
        }
        return current
    }

    /// Appends the canonical form of the value at `node` to `out` (``CanonicalJSON``'s bytes for the same value);
    /// `false` when the document is not one the parser accepts.
    mutating func write(_ node: Int, into out: inout [UInt8]) -> Bool {
        let value = self.nodes[node]
        switch value.kind {
        case .plainString, .scalar:
            out.append(contentsOf: self.span(value))
        case .escapedString:
            guard let text = self.text(of: node) else { return false }
            CanonicalJSON.writeString(text, into: &out)
        case .array:
            out.append(UInt8(ascii: "["))
            var child = node + 1
            while child < Int(value.next) {
                if child > node + 1 { out.append(UInt8(ascii: ",")) }
                guard self.write(child, into: &out) else { return false }
                child = Int(self.nodes[child].next)
            }
            out.append(UInt8(ascii: "]"))
        case .object:
            return self.writeObject(node, into: &out)
        }
        return true
    }

    private mutating func writeObject(_ node: Int, into out: inout [UInt8]) -> Bool {
        let object = self.nodes[node]
        let base = self.members.count
        defer { self.members.removeSubrange(base...) }
        // Escaped keys are decoded, one after another in `decoded`, and sorted by their text's bytes as the tree's
        // keys are; a plain key's text is its bytes in the document.
        var decoded: [UInt8] = []
        var escaped: [(member: Int, range: Range<Int>)] = []
        var child = node + 1
        while child < Int(object.next) {
            guard child + 1 < Int(object.next) else { return false }
            let key = self.nodes[child]
            switch key.kind {
            case .plainString:
                self.members.append(Member(key: UnsafeBufferPointer(rebasing: self.bytes[Int(key.start) + 1..<Int(key.end) - 1]), value: child + 1))
            case .escapedString:
                guard let text = self.text(of: child) else { return false }
                escaped.append((self.members.count, decoded.count..<decoded.count + text.utf8.count))
                decoded.append(contentsOf: text.utf8)
                self.members.append(Member(key: UnsafeBufferPointer(start: nil, count: 0), value: child + 1))
            default:
                return false
            }
            child = Int(self.nodes[child + 1].next)
        }
        return decoded.withUnsafeBufferPointer { decoded -> Bool in
            for key in escaped { self.members[key.member].key = UnsafeBufferPointer(rebasing: decoded[key.range]) }
            // Sorted in place: sorting `members[base...]` copied the slice out and back, an allocation per object.
            self.members.withUnsafeMutableBufferPointer { members in
                var part = UnsafeMutableBufferPointer(rebasing: members[base...])
                part.sort { CanonicalJSON.precedes($0.key, $1.key) }
            }
            out.append(UInt8(ascii: "{"))
            for i in base..<self.members.count {
                if i > base { out.append(UInt8(ascii: ",")) }
                let member = self.members[i]
                let key = self.nodes[member.value - 1]
                if key.kind == .plainString {
                    out.append(contentsOf: self.span(key))
                } else {
                    CanonicalJSON.writeString(String(decoding: member.key, as: UTF8.self), into: &out)
                }
                out.append(UInt8(ascii: ":"))
                guard self.write(member.value, into: &out) else { return false }
            }
            out.append(UInt8(ascii: "}"))
            return true
        }
    }

    /// A value's bytes as written.
    private func span(_ node: Node) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: self.bytes[Int(node.start)..<Int(node.end)])
    }

    /// A string node's text; `nil` when it is not a string the parser accepts.
    private func text(of node: Int) -> String? {
        let string = self.nodes[node]
        switch string.kind {
        case .plainString:
            return String(decoding: UnsafeBufferPointer(rebasing: self.bytes[Int(string.start) + 1..<Int(string.end) - 1]), as: UTF8.self)
        case .escapedString: return JSONParser.decodeString(UnsafeBufferPointer(rebasing: self.bytes[Int(string.start)..<Int(string.end)]))
        default: return nil
        }
    }
}

extension CanonicalJSON {
    /// The canonical bytes of the value `tokens` lead to in `document` (reference tokens of a JSON pointer, as
    /// ``JSONValue/pointerTokens(_:)`` gives them): what `encode(JSONParser.parse(document).value(atPointer:))`
    /// gives, without building the tree. `nil` when they lead nowhere.
    ///
    /// - Important: `document` must be one ``JSONParser/parse(_:keeping:)`` accepted; for any other, the answer is
    ///   `nil` or bytes of no meaning (never a read outside `document`).
    public static func encode(valueAt tokens: [String], in document: some Collection<UInt8>) -> [UInt8]? {
        let result = document.withContiguousStorageIfAvailable { Self.encode(valueAt: tokens, inBuffer: $0) }
        if let result { return result }
        return Array(document).withUnsafeBufferPointer { Self.encode(valueAt: tokens, inBuffer: $0) }
    }

    private static func encode(valueAt tokens: [String], inBuffer buffer: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard var tape = JSONTape(bytes: buffer), let node = tape.node(at: tokens) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(Int(tape.nodes[node].end - tape.nodes[node].start))
        return tape.write(node, into: &out) ? out : nil
    }
}
