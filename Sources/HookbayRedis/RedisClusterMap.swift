/// Which node of a Redis Cluster serves each hash slot, as the cluster last described it (`CLUSTER SLOTS`) and as
/// `MOVED` redirects corrected it since.
public struct RedisClusterMap: Sendable, Equatable {
    /// The primaries, each once, in the order the cluster listed them.
    public private(set) var primaries: [RedisNodeAddress]
    /// For each slot, its primary's index in `primaries`, or -1 when no node serves it.
    private var owners: [Int16]
    /// Each primary's index in `primaries` (derived: kept so that a reply of thousands of ranges is read in linear time).
    private var indexes: [RedisNodeAddress: Int16]

    /// A map in which no node serves any slot.
    public init() {
        self.primaries = []
        self.owners = Array(repeating: -1, count: RedisClusterSlot.count)
        self.indexes = [:]
    }

    /// Whether no slot has a node.
    public var isEmpty: Bool { self.primaries.isEmpty }

    /// The primary serving `slot`, if one does.
    public func primary(for slot: Int) -> RedisNodeAddress? {
        guard (0..<RedisClusterSlot.count).contains(slot) else { return nil }
        let owner = Int(self.owners[slot])
        return owner >= 0 ? self.primaries[owner] : nil
    }

    /// Records that `slot` is now served by `address` (a `MOVED` redirect).
    public mutating func assign(slot: Int, to address: RedisNodeAddress) {
        guard (0..<RedisClusterSlot.count).contains(slot) else { return }
        if let index = self.indexes[address] {
            self.owners[slot] = index
        } else if self.primaries.count < RedisClusterSlot.count {
            let index = Int16(self.primaries.count)
            self.primaries.append(address)
            self.indexes[address] = index
            self.owners[slot] = index
        }
    }

    /// Parses a `CLUSTER SLOTS` reply: `[[start, end, [host, port, id, ...], replicas...], ...]`. A primary with an
    /// empty host is `answeredBy`'s host (the node does not know its own address); one with the host `?` (unknown) is
    /// left out, and its slots have no node.
    public init(clusterSlots reply: RESPValue, answeredBy: RedisNodeAddress) throws(RedisError) {
        self.init()
        guard let ranges = reply.array else { throw .unexpectedReply("CLUSTER SLOTS answered \(reply)") }
        for range in ranges {
            guard let fields = range.array, fields.count >= 3, let start = fields[0].int, let end = fields[1].int,
                0 <= start, start <= end, end < RedisClusterSlot.count,
                let node = fields[2].array, node.count >= 2, let host = node[0].string, let port = node[1].int,
                (1...65535).contains(port)
            else { throw .unexpectedReply("CLUSTER SLOTS has a range that is not [start, end, [host, port, ...]]: \(range)") }
            guard host != "?" else { continue }
            let address = RedisNodeAddress(host: host.isEmpty ? answeredBy.host : host, port: port)
            for slot in start...end { self.assign(slot: slot, to: address) }
        }
        guard !self.primaries.isEmpty else { throw .unexpectedReply("CLUSTER SLOTS names no node: is the cluster set up?") }
    }
}

/// A cluster node's answer that a key's slot is served elsewhere: for good (`MOVED slot host:port`: the map is out of
/// date) or during a migration, for this command only (`ASK slot host:port`: send `ASKING` first, there).
public struct RedisRedirect: Sendable, Equatable {
    public var slot: Int
    public var address: RedisNodeAddress
    /// `ASK` rather than `MOVED`.
    public var asking: Bool

    /// The redirect `error` carries, if it is one; `answeredBy` is the node that sent it.
    public init?(_ error: RedisError, answeredBy: RedisNodeAddress) {
        guard case .server(let message) = error else { return nil }
        let words = message.split(separator: " ")
        guard words.count == 3, words[0] == "MOVED" || words[0] == "ASK", let slot = Int(words[1]),
            (0..<RedisClusterSlot.count).contains(slot),
            let address = RedisNodeAddress(parsing: words[2], fallbackHost: answeredBy.host)
        else { return nil }
        self.slot = slot
        self.address = address
        self.asking = words[0] == "ASK"
    }
}
