import NIOCore

/// A forwarding delivery to add to a destination's lane when the entry it comes from is completed: both happen in one
/// step, and only for an entry that step settled, so an event is fanned out once however often it is processed.
public struct FanOut: Sendable {
    /// The id of the completed entry it comes from.
    public var sourceID: String
    /// The destination's lane (``QueueKeys/lane(platform:destination:)``), of the entry's platform.
    public var lane: String
    /// The lane entry's field/value pairs, in order.
    public var fields: [(String, ByteBuffer)]

    public init(sourceID: String, lane: String, fields: [(String, ByteBuffer)]) {
        self.sourceID = sourceID
        self.lane = lane
        self.fields = fields
    }

    /// The source entry's platform and id, which together name it (ids are per stream).
    var source: String { Self.source(platform: QueueKeys(platform: self.lane).owner, id: self.sourceID) }

    static func source(platform: String, id: String) -> String { "\(platform) \(id)" }
}
