import Logging
import Synchronization

/// Logs refused deliveries without letting a flood of them flood the log: each refusal at debug (with its reason),
/// and at info one summary per interval, with a count per platform and error code.
///
/// The summary is written by the first refusal after the interval has passed, so a quiet gateway writes nothing.
public final class RefusalLog: Sendable {
    /// Time between two summaries.
    public let interval: Duration
    private struct State {
        var counts: [String: [String: Int]] = [:]
        var since = ContinuousClock.now
    }
    private let state = Mutex(State())

    public init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// Records one refusal; logs the summary when the interval has passed.
    public func record(_ error: WebhookError, platform: String, logger: Logger) {
        logger.debug(
            "delivery refused",
            metadata: [
                "platform": .string(platform), "error": .string(error.code.rawValue), "reason": .string(error.message),
            ])
        let now = ContinuousClock.now
        let due: [String: [String: Int]]? = self.state.withLock { state in
            state.counts[platform, default: [:]][error.code.rawValue, default: 0] += 1
            guard now - state.since >= self.interval else { return nil }
            defer { state = State(counts: [:], since: now) }
            return state.counts
        }
        guard let due else { return }
        for (platform, codes) in due.sorted(by: { $0.key < $1.key }) {
            var metadata: Logger.Metadata = ["platform": .string(platform)]
            for (code, count) in codes { metadata[code] = .stringConvertible(count) }
            logger.info("deliveries refused in the last interval", metadata: metadata)
        }
    }
}
