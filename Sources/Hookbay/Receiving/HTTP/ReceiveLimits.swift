import Synchronization

/// Process-wide bounds on what clients can make the server hold: open connections, and delivery bodies being read or
/// waiting for the queue's answer.
///
/// Past either bound new work is refused at once (a connection with `503 server_busy` and closed; a delivery with
/// `503 server_busy` before its body is read), so a flood of clients costs the flood, not the server or the clients
/// already being served. Per connection, the channel handlers bound the rest: one delivery answered at a time, reads
/// stopped while answers are not being taken (``WebhookChannelHandler``).
public final class ReceiveLimits: Sendable {
    /// Connections served at once; one more is answered `503 server_busy` and closed.
    public let maxConnections: Int
    /// Bytes of delivery bodies held at once, across every connection (each delivery counts its `Content-Length`
    /// from its head until it is answered).
    public let maxBufferedBytes: Int

    private let connections = Atomic<Int>(0)
    private let bufferedBytes = Atomic<Int>(0)

    public init(maxConnections: Int, maxBufferedBytes: Int) {
        self.maxConnections = maxConnections
        self.maxBufferedBytes = maxBufferedBytes
    }

    /// Connections open now.
    public var openConnections: Int { self.connections.load(ordering: .relaxed) }
    /// Delivery bytes held now.
    public var heldBytes: Int { self.bufferedBytes.load(ordering: .relaxed) }

    /// Counts a new connection; `false` (and nothing counted) when the server already serves its maximum.
    func openConnection() -> Bool {
        Self.reserve(1, in: self.connections, limit: self.maxConnections)
    }

    func closeConnection() {
        self.connections.subtract(1, ordering: .relaxed)
    }

    /// Reserves `bytes` of the body budget; `false` (and nothing reserved) when it would pass the bound.
    func reserve(bytes: Int) -> Bool {
        Self.reserve(bytes, in: self.bufferedBytes, limit: self.maxBufferedBytes)
    }

    func release(bytes: Int) {
        self.bufferedBytes.subtract(bytes, ordering: .relaxed)
    }

    private static func reserve(_ amount: Int, in counter: borrowing Atomic<Int>, limit: Int) -> Bool {
        var current = counter.load(ordering: .relaxed)
        while true {
            guard amount <= limit - current else { return false }
            let (exchanged, original) = counter.compareExchange(expected: current, desired: current + amount, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }
}
