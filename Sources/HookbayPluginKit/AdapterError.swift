/// What an adapter reports when it cannot accept or process an event. Maps to the ABI's status codes.
public enum AdapterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The event itself is bad: 400 at receive, dead-lettered at processing (`HOOKBAY_STATUS_INVALID`).
    case invalid(String)
    /// A transient failure: the engine retries later (`HOOKBAY_STATUS_RETRY`).
    case retryable(String)

    public var message: String {
        switch self {
        case .invalid(let m), .retryable(let m): return m
        }
    }

    public var description: String {
        switch self {
        case .invalid(let m): return "invalid: \(m)"
        case .retryable(let m): return "retryable: \(m)"
        }
    }
}
