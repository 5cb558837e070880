import Synchronization

/// The platforms currently served, swapped whole when the config changes.
///
/// Reads are a lock and a dictionary look-up; the request path never sees a half-applied reload. Platforms removed
/// by a reload stop receiving (404) but stay known to the workers, so the events they already accepted are still
/// processed with their adapter.
public final class PlatformRegistry: Sendable {
    struct State {
        var served: [String: ServedPlatform]
        var retired: [String: ServedPlatform] = [:]
        var problems: [ConfigProblem] = []
    }

    private let state: Mutex<State>

    public init(platforms: [String: ServedPlatform] = [:], problems: [ConfigProblem] = []) {
        self.state = Mutex(State(served: platforms, problems: problems))
    }

    /// The served platform with this id (for receiving).
    public func platform(_ id: String) -> ServedPlatform? {
        self.state.withLock { $0.served[id] }
    }

    /// The platform to process this id's queued events with: served, or removed by a reload.
    public func processingPlatform(_ id: String) -> ServedPlatform? {
        self.state.withLock { $0.served[id] ?? $0.retired[id] }
    }

    /// Every served platform, sorted by id.
    public var all: [ServedPlatform] {
        self.state.withLock { $0.served.values.sorted { $0.id < $1.id } }
    }

    /// Ids whose streams the workers read: served and removed ones, except those whose processing is paused.
    public var processingIDs: [String] {
        self.state.withLock { state in
            Set(state.served.values.filter { $0.config.processing == .active }.map(\.id)).union(state.retired.keys).sorted()
        }
    }

    /// The problems of the last load (files refused, or kept at their previous version).
    public var problems: [ConfigProblem] {
        self.state.withLock { $0.problems }
    }

    /// Replaces the served set; platforms no longer served are kept for processing.
    public func replace(with platforms: [String: ServedPlatform], problems: [ConfigProblem] = []) {
        self.state.withLock { state in
            for (id, platform) in state.served where platforms[id] == nil {
                state.retired[id] = platform
            }
            for id in platforms.keys { state.retired[id] = nil }
            state.served = platforms
            state.problems = problems
        }
    }
}
