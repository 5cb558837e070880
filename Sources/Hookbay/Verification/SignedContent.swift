import Foundation

/// What a sender's HMAC covers, as a platform file's `signature.signed_content` writes it: text, the raw body once
/// (`{body}`), and request headers' values (`{header:Name}`). Slack signs `v0:{header:X-Slack-Request-Timestamp}:{body}`,
/// Shopify `{body}`.
///
/// `{{` and `}}` stand for `{` and `}`. The template is bounded (``maxTemplateBytes``, ``maxHeaders``) and must hold
/// `{body}` exactly once: a MAC that does not cover the body proves nothing about it. A header always has text on both
/// sides, and its value may not hold the text's bytes next to it (``SignatureVerifier``), so no byte can move between a
/// header and its neighbour under the same MAC.
public struct SignedContent: Sendable, Equatable, CustomStringConvertible {
    /// A piece before or after the body.
    public enum Part: Sendable, Equatable {
        case text([UInt8])
        /// A request header's value (the delivery is refused when it is missing).
        case header(String)
    }

    /// The pieces before the body, then after it.
    public var beforeBody: [Part]
    public var afterBody: [Part]

    /// Just the body (GitHub, Shopify, the seed's scheme).
    public static let body = SignedContent(beforeBody: [], afterBody: [])

    /// The longest template accepted, in bytes.
    public static let maxTemplateBytes = 512
    /// The most `{header:...}` placeholders a template may hold.
    public static let maxHeaders = 8

    /// Why a template was refused.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init(beforeBody: [Part], afterBody: [Part]) {
        self.beforeBody = beforeBody
        self.afterBody = afterBody
    }

    /// The headers the template reads, in order.
    public var headerNames: [String] {
        (self.beforeBody + self.afterBody).compactMap { part in
            if case .header(let name) = part { return name }
            return nil
        }
    }

    /// The template as a platform file would write it.
    public var description: String {
        func render(_ parts: [Part]) -> String {
            parts.map { part in
                switch part {
                case .text(let bytes):
                    // Byte by byte: a brace followed by a combining mark is one character to String's searches.
                    var escaped: [UInt8] = []
                    for byte in bytes {
                        escaped.append(byte)
                        if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}") { escaped.append(byte) }
                    }
                    return String(decoding: escaped, as: UTF8.self)
                case .header(let name): return "{header:\(name)}"
                }
            }.joined()
        }
        return render(self.beforeBody) + "{body}" + render(self.afterBody)
    }

    /// Parses a `signed_content` template.
    public static func parse(_ template: String) throws(ParseError) -> SignedContent {
        let bytes = Array(template.utf8)
        guard bytes.count <= Self.maxTemplateBytes else {
            throw ParseError(description: "is longer than \(Self.maxTemplateBytes) bytes")
        }
        var parts: [[Part]] = [[]]
        var text: [UInt8] = []
        var headers = 0
        func flush() {
            if !text.isEmpty { parts[parts.count - 1].append(.text(text)) }
            text = []
        }
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "}") {
                guard i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "}") else {
                    throw ParseError(description: "has a '}' that closes nothing (write }} for a literal one)")
                }
                text.append(byte)
                i += 2
                continue
            }
            guard byte == UInt8(ascii: "{") else {
                text.append(byte)
                i += 1
                continue
            }
            if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "{") {
                text.append(byte)
                i += 2
                continue
            }
            guard let close = bytes[(i + 1)...].firstIndex(of: UInt8(ascii: "}")) else {
                throw ParseError(description: "has a '{' that is never closed (write {{ for a literal one)")
            }
            let name = String(decoding: bytes[(i + 1)..<close], as: UTF8.self)
            flush()
            if name == "body" {
                guard parts.count == 1 else { throw ParseError(description: "names {body} more than once") }
                parts.append([])
            } else if name.hasPrefix("header:") {
                let header = String(name.dropFirst("header:".count))
                guard PlatformFileParser.isValidHeaderName(header) else {
                    throw ParseError(description: "names '\(header)', which is not a valid HTTP header name")
                }
                headers += 1
                guard headers <= Self.maxHeaders else {
                    throw ParseError(description: "names more than \(Self.maxHeaders) headers")
                }
                parts[parts.count - 1].append(.header(header))
            } else {
                throw ParseError(description: "has an unknown placeholder {\(name)}; known: {body}, {header:Name}")
            }
            i = close + 1
        }
        flush()
        guard parts.count == 2 else { throw ParseError(description: "must name {body} once: the signature has to cover the body") }
        // A header next to {body} or to another header, with no text between, lets bytes move from one to the other
        // under the same MAC.
        let before = parts[0]
        let after = parts[1]
        for (a, b) in Array(zip(before, before.dropFirst())) + Array(zip(after, after.dropFirst())) {
            if case .header = a, case .header = b { throw ParseError(description: "puts two headers side by side: put text between them") }
        }
        if case .header? = before.last { throw ParseError(description: "puts a header right before {body}: put text between them") }
        if case .header? = after.first { throw ParseError(description: "puts a header right after {body}: put text between them") }
        return SignedContent(beforeBody: parts[0], afterBody: parts[1])
    }
}
