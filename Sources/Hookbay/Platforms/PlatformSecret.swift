/// One HMAC key of a platform. Prints as `<redacted>` so that it never reaches a log by accident.
public struct PlatformSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The key bytes, as the platform signs with them.
    public let bytes: [UInt8]
    /// Where it was read from (`env:NAME` or `file:PATH`), safe to show.
    public let source: String

    public init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    public var description: String { "<redacted secret from \(source)>" }
    public var debugDescription: String { description }
}
