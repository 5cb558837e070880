/// Everything that can go wrong talking to Redis, typed so callers can tell a dead server from a bad command.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL given for the server is not a `redis://[:password@]host[:port][/db]` URL.
    case invalidURL(String)
    /// The TCP connection (or its AUTH/SELECT hand-shake) could not be made.
    case connectionFailed(String)
    /// The connection closed before the reply arrived: the command may or may not have run.
    case connectionClosed
    /// No reply arrived within the command's timeout; the connection was closed.
    case timeout
    /// Redis answered with an error reply (`-ERR ...`, `-NOSCRIPT ...`, `-BUSYGROUP ...`).
    case server(String)
    /// The reply had a shape the command did not expect.
    case unexpectedReply(String)
    /// The bytes from the server were not valid RESP.
    case protocolError(String)
    /// The client was shut down.
    case shutDown
    /// `WAIT` confirmed fewer replicas than asked for within its timeout: the write is on the primary, and may be lost
    /// if the primary fails before its replicas catch up.
    case notReplicated(String)

    public var description: String {
        switch self {
        case .invalidURL(let s): return "invalid Redis URL: \(s)"
        case .connectionFailed(let s): return "cannot connect to Redis: \(s)"
        case .connectionClosed: return "the Redis connection closed before the reply arrived"
        case .timeout: return "Redis did not answer in time"
        case .server(let s): return "Redis error: \(s)"
        case .unexpectedReply(let s): return "unexpected Redis reply: \(s)"
        case .protocolError(let s): return "Redis protocol error: \(s)"
        case .shutDown: return "the Redis client is shut down"
        case .notReplicated(let s): return "not replicated in time: \(s)"
        }
    }

    /// `error` as a ``RedisError``: itself when it is one, else a connection failure naming it.
    public init(_ error: any Error) {
        self = error as? RedisError ?? .connectionFailed(String(describing: error))
    }

    /// The error code of a server error reply (`NOSCRIPT`, `BUSYGROUP`, `ERR`...), if this is one.
    public var serverErrorCode: Substring? {
        guard case .server(let message) = self else { return nil }
        return message.split(separator: " ", maxSplits: 1).first
    }
}
