/// Why the content database did not do what was asked. The two cases are handled differently by the workers: an
/// outage leaves events pending to try again (never a dead letter), a refusal dead-letters the one event refused.
public enum ContentStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database cannot be reached or cannot work now (server down or restarting, connection lost, disk full,
    /// locked, out of resources): nothing was applied, and the same call may succeed later.
    case unavailable(String)
    /// The database refused the data itself (a value it cannot store, a constraint): the same call fails again.
    case refused(String)
    /// The server refuses this process: its credentials, its database or its permissions. Fatal at start; while
    /// running (a password rotated under it), events wait as for an outage.
    case misconfigured(String)
    /// The server refused the statement for a reason that is neither the data's nor an outage's (an unexpected
    /// SQLSTATE): the event is retried with its platform's policy, then dead-lettered.
    case failed(String)

    /// The reason alone, without the case's words.
    public var reason: String {
        switch self {
        case .unavailable(let reason), .refused(let reason), .misconfigured(let reason), .failed(let reason): reason
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let reason): "content database unavailable: \(reason)"
        case .refused(let reason): "content database refused the event: \(reason)"
        case .misconfigured(let reason): "content database refuses this process: \(reason)"
        case .failed(let reason): "content database failed the event: \(reason)"
        }
    }
}
