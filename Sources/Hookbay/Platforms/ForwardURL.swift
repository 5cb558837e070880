/// A destination's URL, checked and taken apart: `http` or `https`, a host (a name, an IPv4 address or a bracketed
/// IPv6 one), an optional port, and the path and query as given. No credentials, no fragment.
public struct ForwardURL: Sendable, Equatable, CustomStringConvertible {
    public enum Scheme: String, Sendable {
        case http, https
    }

    /// URLs longer than this are refused.
    public static let maxBytes = 2048

    public var scheme: Scheme
    /// The host as written, without brackets for IPv6.
    public var host: String
    public var port: Int
    /// The path and query (`/` when the URL has none).
    public var target: String

    /// Parses `text`, or says what is wrong with it.
    public static func parse(_ text: String) -> Result<ForwardURL, ForwardURLError> {
        let bytes = Array(text.utf8)
        guard bytes.count <= Self.maxBytes else { return .failure(.init("is longer than \(Self.maxBytes) bytes")) }
        let scheme: Scheme
        let rest: ArraySlice<UInt8>
        let lower = String(decoding: bytes.prefix(8), as: UTF8.self).lowercased()
        if lower.hasPrefix("https://") {
            scheme = .https
            rest = bytes[8...]
        } else if lower.hasPrefix("http://") {
            scheme = .http
            rest = bytes[7...]
        } else {
            return .failure(.init("must be an http:// or https:// URL"))
        }
        let end = rest.firstIndex { "/?#".utf8.contains($0) } ?? rest.endIndex
        let authority = rest[rest.startIndex..<end]
        if authority.contains(UInt8(ascii: "@")) { return .failure(.init("must not carry credentials (user:password@)")) }
        var host: ArraySlice<UInt8>
        var portText: ArraySlice<UInt8>?
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else { return .failure(.init("has an unterminated IPv6 address")) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == UInt8(ascii: ":") else { return .failure(.init("has something after its IPv6 address")) }
                portText = after.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ Self.isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }),
                IPNetwork.bytes(of: String(decoding: host, as: UTF8.self))?.count == 16
            else {
                return .failure(.init("has a bad IPv6 address"))
            }
        } else {
            let colon = authority.firstIndex(of: UInt8(ascii: ":"))
            host = authority[authority.startIndex..<(colon ?? authority.endIndex)]
            if let colon { portText = authority[authority.index(after: colon)...] }
            guard !host.isEmpty, host.count <= 253,
                host.allSatisfy({ Self.isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") })
            else {
                return .failure(.init("must name a host (letters, digits, '.' and '-')"))
            }
        }
        var port = scheme == .https ? 443 : 80
        if let portText {
            guard (1...5).contains(portText.count), portText.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                let value = Int(String(decoding: portText, as: UTF8.self)), (1...65535).contains(value)
            else {
                return .failure(.init("has a bad port (1 to 65535)"))
            }
            port = value
        }
        let tail = rest[end...]
        if tail.contains(UInt8(ascii: "#")) { return .failure(.init("must not have a fragment (#...)")) }
        let allowed = Set("._~:/?[]@!$&'()*+,;=%-".utf8)
        guard tail.allSatisfy({ Self.isAlphanumeric($0) || allowed.contains($0) }) else {
            return .failure(.init("may hold only URL characters (RFC 3986; percent-encode others)"))
        }
        let target = tail.isEmpty ? "/" : (tail.first == UInt8(ascii: "?") ? "/" : "") + String(decoding: tail, as: UTF8.self)
        host = ArraySlice(Array(String(decoding: host, as: UTF8.self).lowercased().utf8))
        return .success(ForwardURL(scheme: scheme, host: String(decoding: host, as: UTF8.self), port: port, target: target))
    }

    /// The URL again, with the default port left out.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        let defaultPort = self.scheme == .https ? 443 : 80
        return "\(self.scheme.rawValue)://\(host)\(self.port == defaultPort ? "" : ":\(self.port)")\(self.target)"
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}

/// Why a destination URL is refused.
public struct ForwardURLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
