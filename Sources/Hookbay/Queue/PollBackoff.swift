import Synchronization

/// The pause before the next look at queues that had nothing: `first`, doubled by each empty look up to `limit`, and
/// `first` again once a look finds something.
final class PollBackoff: Sendable {
    let first: Duration
    let limit: Duration
    private let current: Mutex<Duration>

    init(first: Duration, limit: Duration) {
        self.first = first
        self.limit = limit
        self.current = Mutex(first)
    }

    /// The pause for this empty look; the next one's is twice as long, up to `limit`.
    func next() -> Duration {
        self.current.withLock { current in
            defer { current = min(current * 2, self.limit) }
            return current
        }
    }

    /// A look found something: the next pause is `first` again.
    func reset() {
        self.current.withLock { $0 = self.first }
    }
}
