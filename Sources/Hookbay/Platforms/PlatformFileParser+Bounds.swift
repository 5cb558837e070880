import Yams

extension PlatformFileParser {
    /// The largest platform file read, in bytes.
    public static let maxFileBytes = 256 * 1024
    /// The largest secret file read, in bytes.
    public static let maxSecretFileBytes = 64 * 1024
    /// The most YAML nodes a platform file may hold, aliases expanded (a 1 KB file of nested aliases can stand for
    /// billions).
    public static let maxNodes = 20_000
    /// The deepest nesting of mappings and sequences a platform file may have.
    public static let maxDepth = 32

    /// Why the text cannot be composed safely, found before YAML sees it: its size, its indentation, its flow nesting
    /// (`[[[[...`), and any anchor or alias (`&name`, `*name`). Anchors are refused outright: an alias can stand for a
    /// whole subtree, so a kilobyte of them stands for billions of nodes, and aliases used as mapping keys cost the
    /// YAML library exponential time while it checks keys for duplicates, whatever the node count.
    ///
    /// The scan follows YAML's token starts (after indentation, `- `, `: `, `? `, `[`, `{` and `,`), skips quoted
    /// scalars that begin there and comments, so `Rock & Roll`, `*/5 * * * *` and `it's` inside plain values are fine.
    static func sizeProblem(_ yaml: String) -> String? {
        let bytes = Array(yaml.utf8)
        if bytes.count > Self.maxFileBytes {
            return "the file is \(bytes.count) bytes; platform files are limited to \(Self.maxFileBytes)"
        }
        let newline = UInt8(ascii: "\n")
        let space = UInt8(ascii: " ")
        let tab = UInt8(ascii: "\t")
        func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab || byte == UInt8(ascii: "\r") }
        var flow = 0
        var indentation = 0
        var atLineStart = true
        // The last significant byte on the line (a newline at its start).
        var last = newline
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == newline {
                atLineStart = true
                indentation = 0
                last = newline
                i += 1
                continue
            }
            if atLineStart {
                if byte == space || byte == tab {
                    indentation += 1
                    if indentation > 8 * Self.maxDepth { return "a line is indented by more than \(8 * Self.maxDepth) characters" }
                    i += 1
                    continue
                }
                atLineStart = false
            }
            if isBlank(byte) {
                i += 1
                continue
            }
            let afterBlank = i > 0 && (isBlank(bytes[i - 1]) || bytes[i - 1] == newline)
            if byte == UInt8(ascii: "#"), afterBlank || i == 0 {
                while i < bytes.count, bytes[i] != newline { i += 1 }
                continue
            }
            let tokenStart =
                last == newline || last == UInt8(ascii: "[") || last == UInt8(ascii: "{") || last == UInt8(ascii: ",")
                || (afterBlank && (last == UInt8(ascii: "-") || last == UInt8(ascii: ":") || last == UInt8(ascii: "?")))
            if tokenStart {
                switch byte {
                case UInt8(ascii: "&"), UInt8(ascii: "*"):
                    return "anchors and aliases (&name, *name) are not allowed in platform files; write the values out"
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    // A quoted scalar, to its closing quote (backslash escapes in double quotes, '' in single ones).
                    i += 1
                    while i < bytes.count {
                        if byte == UInt8(ascii: "\""), bytes[i] == UInt8(ascii: "\\") {
                            i += 2
                            continue
                        }
                        if bytes[i] == byte {
                            if byte == UInt8(ascii: "'"), i + 1 < bytes.count, bytes[i + 1] == byte {
                                i += 2
                                continue
                            }
                            break
                        }
                        i += 1
                    }
                    last = byte
                    i += 1
                    continue
                case UInt8(ascii: "!"):
                    // A tag: the node (and its anchor, if any) follows it.
                    while i < bytes.count, !isBlank(bytes[i]), bytes[i] != newline { i += 1 }
                    continue
                default:
                    break
                }
            }
            switch byte {
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                flow += 1
                if flow > Self.maxDepth { return "nested more than \(Self.maxDepth) levels deep" }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                flow = max(0, flow - 1)
            default:
                break
            }
            last = byte
            i += 1
        }
        return nil
    }

    /// Why the composed document is too large (more than ``maxNodes`` nodes with aliases expanded) or too deep (more
    /// than ``maxDepth`` levels); stops counting at the first bound passed.
    static func shapeProblem(_ root: Node) -> String? {
        var stack: [(Node, Int)] = [(root, 1)]
        var count = 0
        while let (node, depth) = stack.popLast() {
            count += 1
            if count > Self.maxNodes {
                return "more than \(Self.maxNodes) YAML nodes once aliases are expanded; platform files are limited to \(Self.maxNodes)"
            }
            if depth > Self.maxDepth { return "nested more than \(Self.maxDepth) levels deep" }
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    stack.append((key, depth + 1))
                    stack.append((value, depth + 1))
                }
            case .sequence(let sequence):
                for item in sequence { stack.append((item, depth + 1)) }
            case .scalar, .alias:
                break
            }
        }
        return nil
    }
}
