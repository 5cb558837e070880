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
    /// Entries the lane may hold: past it, the delivery goes to the lane's dead letters instead (its destination has
    /// been failing or slow for that long).
    public var maxBacklog: Int

    public init(sourceID: String, lane: String, fields: [(String, ByteBuffer)], maxBacklog: Int = ForwardDestination.defaultMaxBacklog) {
        self.sourceID = sourceID
        self.lane = lane
        self.fields = fields
        self.maxBacklog = maxBacklog
    }

    /// The error a delivery refused by a full backlog is dead-lettered with.
    static func backlogFull(_ waiting: Int) -> String {
        "the destination's backlog is full (\(waiting) deliveries waiting): not queued"
    }

    /// The source entry's platform and id, which together name it (ids are per stream).
    var source: String { Self.source(platform: QueueKeys(platform: self.lane).owner, id: self.sourceID) }

    static func source(platform: String, id: String) -> String { "\(platform) \(id)" }
}
