import Synchronization

/// The platforms currently served, swapped whole when the config changes.
///
/// Reads are a lock and a dictionary look-up; the request path never sees a half-applied reload.
public final class PlatformRegistry: Sendable {
    private let state: Mutex<[String: ServedPlatform]>

    public init(platforms: [String: ServedPlatform] = [:]) {
        self.state = Mutex(platforms)
    }

    /// The platform with this id, if loaded.
    public func platform(_ id: String) -> ServedPlatform? {
        self.state.withLock { $0[id] }
    }

    /// Every loaded platform, sorted by id.
    public var all: [ServedPlatform] {
        self.state.withLock { $0.values.sorted { $0.id < $1.id } }
    }

    /// Replaces the whole set.
    public func replace(with platforms: [String: ServedPlatform]) {
        self.state.withLock { $0 = platforms }
    }
}
