import Synchronization

/// The most recent refused deliveries of this process: what `GET /api/v1/admin/refusals` and the console show when a
/// platform says "we sent it" and Hookbay said 401.
///
/// Each served platform has a ring of its own (the last ``capacity``), and ids that are not served share one more, so
/// a flood of requests to made-up ids, or one platform's, cannot push another platform's refusals out. A refusal that
/// repeats the one before it in its ring (same status, code, message and client) is counted on that entry instead of
/// taking a new one: a sender retrying with a wrong secret, or past its rate limit, fills one line, not the ring.
///
/// Each refusal keeps what the client was answered and who asked, never the body, a header or a secret. What comes
/// from the request (the platform id in the URL, the message, which may quote the payload's field names) is cut to a
/// bounded length, so memory is bounded by the number of platforms, whatever the requests hold.
public final class RecentRefusals: Sendable {
    /// One refused delivery, or a run of identical ones in a row.
    public struct Refusal: Sendable, Equatable {
        /// When the last of the run was answered, Unix milliseconds.
        public var at: Int64
        /// When the first of the run was answered.
        public var firstAt: Int64
        /// How many in a row.
        public var count: Int
        /// The platform id the request named (not necessarily a served one: a 404 names an unknown one).
        public var platform: String
        public var status: Int
        /// The error code answered (`invalid_signature`...).
        public var code: String
        public var message: String
        /// The request id this process logged the last of the run under.
        public var requestID: String
        /// The client's address as the socket saw it.
        public var remoteAddress: String?

        /// Whether `other` repeats this one (the same answer to the same client).
        func isRepeated(by other: Refusal) -> Bool {
            self.platform == other.platform && self.status == other.status && self.code == other.code && self.message == other.message
                && self.remoteAddress == other.remoteAddress
        }
    }

    /// How many refusals each ring keeps.
    public static let defaultCapacity = 200
    /// The longest platform id kept, in bytes (longer ones are cut).
    static let maxPlatformBytes = 80
    /// The longest message kept, in bytes.
    static let maxMessageBytes = 400

    private struct Rings {
        var served: [String: BoundedRing<Refusal>] = [:]
        var unserved: BoundedRing<Refusal>
    }

    /// How many refusals each ring keeps at most.
    public let capacity: Int
    private let rings: Mutex<Rings>

    public init(capacity: Int = RecentRefusals.defaultCapacity) {
        self.capacity = capacity
        self.rings = Mutex(Rings(unserved: BoundedRing(capacity: capacity)))
    }

    /// Keeps one refusal, cutting what came from the request to a bounded length.
    /// - Parameter served: whether `platform` is a served platform's id (only those get a ring of their own, so that
    ///   the number of rings is bounded by the config, not by the requests).
    public func record(
        _ error: WebhookError, platform: String, served: Bool, requestID: String, remoteAddress: String?, at: Int64 = WallClock.milliseconds()
    ) {
        let refusal = Refusal(
            at: at, firstAt: at, count: 1, platform: Self.cut(platform, to: Self.maxPlatformBytes), status: Int(error.status.code),
            code: error.code.rawValue, message: Self.cut(error.message, to: Self.maxMessageBytes), requestID: Self.cut(requestID, to: 64),
            remoteAddress: remoteAddress)
        self.rings.withLock { rings in
            if served {
                Self.add(refusal, to: &rings.served[platform, default: BoundedRing(capacity: self.capacity)])
            } else {
                Self.add(refusal, to: &rings.unserved)
            }
        }
    }

    private static func add(_ refusal: Refusal, to ring: inout BoundedRing<Refusal>) {
        if ring.updateNewest({ last in
            guard last.isRepeated(by: refusal) else { return false }
            last.count += 1
            last.at = refusal.at
            last.requestID = refusal.requestID
            return true
        }) {
            return
        }
        ring.append(refusal)
    }

    /// The most recent refusals, newest first (by their last time); only `platform`'s when given.
    public func recent(limit: Int, platform: String? = nil) -> [Refusal] {
        let candidates: [Refusal] = self.rings.withLock { rings in
            if let platform {
                return (rings.served[platform]?.newestFirst ?? []) + rings.unserved.newestFirst.filter { $0.platform == platform }
            }
            return rings.served.values.flatMap(\.newestFirst) + rings.unserved.newestFirst
        }
        return Array(candidates.sorted { $0.at > $1.at }.prefix(limit))
    }

    /// `text` cut to at most `limit` UTF-8 bytes on a character boundary, with "…" when cut.
    static func cut(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var kept = ""
        var bytes = 0
        for character in text {
            let size = character.utf8.count
            guard bytes + size <= limit - 3 else { break }
            kept.append(character)
            bytes += size
        }
        return kept + "…"
    }
}
