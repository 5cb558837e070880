/// Why a delivery's signature was refused. The messages say what to fix without revealing anything of the secret.
public enum SignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A signature header is absent.
    case missingHeader(String)
    /// A header is present but not of the expected form.
    case malformed(String)
    /// The signed timestamp is outside the tolerance window (a replay, or a badly wrong clock).
    case timestampOutOfRange(String)
    /// Well-formed, but no active secret produced it.
    case mismatch
    /// A shared token (in the named header) that is none of the active secrets.
    case tokenMismatch(String)

    public var description: String {
        switch self {
        case .missingHeader(let header): return "missing \(header) header"
        case .malformed(let reason): return reason
        case .timestampOutOfRange(let reason): return reason
        case .mismatch: return "signature does not match the request body"
        case .tokenMismatch(let header): return "\(header) does not match the platform's token"
        }
    }
}
