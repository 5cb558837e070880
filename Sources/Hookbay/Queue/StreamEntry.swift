import NIOCore

/// One entry read from a platform's stream (or dead-letter stream).
public struct StreamEntry: Sendable, Equatable {
    public var platform: String
    /// The stream entry id, `ms-seq`.
    public var id: String
    /// Field → value, as written.
    public var fields: [String: ByteBuffer]

    public init(platform: String, id: String, fields: [String: ByteBuffer]) {
        self.platform = platform
        self.id = id
        self.fields = fields
    }

    /// The field naming the key that holds an entry's body (``QueueKeys/body(ref:)``), for an entry written with its
    /// body apart (Redis); its reader fills in ``bodyField`` from that key, and the field stays with the entry wherever
    /// it moves (dead letters, replay).
    public static let bodyRefField = "envelope_ref"

    /// The field holding the entry's body: `envelope` (the request body) in a platform's stream, `body` (what is sent)
    /// in a forwarding destination's lane.
    public var bodyField: String { QueueKeys(platform: self.platform).destination == nil ? "envelope" : "body" }

    /// Why the entry has no body, when it was kept apart and its reader did not find it (refused by a full Redis, or
    /// evicted): `its body (<key>) is missing`; `nil` otherwise.
    public var missingBody: String? {
        guard self.fields[self.bodyField] == nil, let ref = self.string(Self.bodyRefField) else { return nil }
        return "its body (\(QueueKeys(platform: self.platform).body(ref: ref))) is missing"
    }

    /// A field's value as text.
    public func string(_ field: String) -> String? { fields[field].map { String(buffer: $0) } }

    /// Whether `id` is a complete stream entry id, `<ms>-<seq>`, each part a 64-bit unsigned number.
    public static func isValidID(_ id: some StringProtocol) -> Bool {
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2
            && parts.allSatisfy { part in
                !part.isEmpty && part.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } && UInt64(part) != nil
            }
    }
}
