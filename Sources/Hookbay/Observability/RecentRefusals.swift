import Synchronization

/// The most recent refused deliveries of this process (a fixed number, the oldest dropped first): what
/// `GET /api/v1/admin/refusals` and the console show when a platform says "we sent it" and Hookbay said 401.
///
/// Each refusal keeps what the client was answered and who asked, never the body, a header or a secret. What comes
/// from the request (the platform id in the URL, the message, which may quote the payload's field names) is cut to a
/// bounded length, so the ring's memory is bounded whatever the requests hold.
public final class RecentRefusals: Sendable {
    /// One refused delivery.
    public struct Refusal: Sendable, Equatable {
        /// When it was answered, Unix milliseconds.
        public var at: Int64
        /// The platform id the request named (not necessarily a served one: a 404 names an unknown one).
        public var platform: String
        public var status: Int
        /// The error code answered (`invalid_signature`...).
        public var code: String
        public var message: String
        /// The request id this process logged the request under.
        public var requestID: String
        /// The client's address as the socket saw it.
        public var remoteAddress: String?
    }

    /// How many refusals are kept.
    public static let defaultCapacity = 200
    /// The longest platform id kept, in bytes (longer ones are cut).
    static let maxPlatformBytes = 80
    /// The longest message kept, in bytes.
    static let maxMessageBytes = 400

    private let ring: Mutex<BoundedRing<Refusal>>

    public init(capacity: Int = RecentRefusals.defaultCapacity) {
        self.ring = Mutex(BoundedRing(capacity: capacity))
    }

    /// How many refusals it keeps at most.
    public var capacity: Int { self.ring.withLock { $0.capacity } }

    /// Keeps one refusal, cutting what came from the request to a bounded length.
    public func record(
        _ error: WebhookError, platform: String, requestID: String, remoteAddress: String?, at: Int64 = WallClock.milliseconds()
    ) {
        let refusal = Refusal(
            at: at, platform: Self.cut(platform, to: Self.maxPlatformBytes), status: Int(error.status.code), code: error.code.rawValue,
            message: Self.cut(error.message, to: Self.maxMessageBytes), requestID: Self.cut(requestID, to: 64),
            remoteAddress: remoteAddress)
        self.ring.withLock { $0.append(refusal) }
    }

    /// The most recent refusals, newest first; only `platform`'s when given.
    public func recent(limit: Int, platform: String? = nil) -> [Refusal] {
        let all = self.ring.withLock { $0.newestFirst }
        guard let platform else { return Array(all.prefix(limit)) }
        return Array(all.lazy.filter { $0.platform == platform }.prefix(limit))
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
